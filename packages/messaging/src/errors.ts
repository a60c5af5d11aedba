/**
 * A failure that no retry can fix (a broken invariant, data the handler can never accept).
 * The consumer runner dead-letters the message at once instead of retrying it.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function isPermanentError(err: unknown): err is PermanentError {
  return err instanceof Error && err.name === 'PermanentError';
}
