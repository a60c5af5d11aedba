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

/**
 * The message cannot be handled *yet*: it depends on another event that has not been processed
 * (events from different streams arrive in any order). Retried with capped backoff for as long
 * as it takes, never dead-lettered, since the awaited event is guaranteed to come.
 */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function isNotReadyError(err: unknown): err is NotReadyError {
  return err instanceof Error && err.name === 'NotReadyError';
}
