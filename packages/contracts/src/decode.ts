import { findSchema, isEventType } from './catalog.js';
import type { DomainEvent } from './events.js';

/** Why a message could not be decoded. None of these gets better by retrying. */
export const DecodeFailure = {
  /** Not UTF-8 JSON, or not an object. */
  malformed: 'MALFORMED',
  /** `type` is not in the catalogue. */
  unknownType: 'UNKNOWN_TYPE',
  /** The type is known, the `version` is not (a newer producer, or garbage). */
  unknownVersion: 'UNKNOWN_VERSION',
  /** The envelope or `data` does not match the schema of its (type, version). */
  invalid: 'INVALID',
} as const;
export type DecodeFailure = (typeof DecodeFailure)[keyof typeof DecodeFailure];

/** Thrown by `decodeEvent`. Permanent: the consumer runner dead-letters the message. */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  constructor(
    readonly failure: DecodeFailure,
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Whether `err` is an `EventDecodeError`. Checks the name rather than `instanceof`, so it also
 * holds across two copies of this package (e.g. a service's and the messaging package's).
 */
export function isEventDecodeError(err: unknown): err is EventDecodeError {
  return err instanceof Error && err.name === 'EventDecodeError';
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates one message body: bytes (`Uint8Array`, UTF-8 JSON), a JSON string, or
 * an already-parsed value.
 * Refuses an unknown type or version with an `EventDecodeError`, so a consumer never guesses
 * at a shape it cannot read.
 */
export function decodeEvent(body: unknown): DomainEvent {
  let value: unknown = body;
  if (body instanceof Uint8Array || typeof body === 'string') {
    try {
      value = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
    } catch (err) {
      throw new EventDecodeError('MALFORMED', `body is not JSON: ${(err as Error).message}`, [], { cause: err });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventDecodeError('MALFORMED', 'body is not a JSON object');
  }
  const { type, version } = value as { type?: unknown; version?: unknown };
  if (typeof type !== 'string' || !isEventType(type)) {
    throw new EventDecodeError('UNKNOWN_TYPE', `unknown event type ${JSON.stringify(type)}`);
  }
  const entry = typeof version === 'number' ? findSchema(type, version) : undefined;
  if (!entry) {
    throw new EventDecodeError('UNKNOWN_VERSION', `unknown version ${JSON.stringify(version)} of ${type}`);
  }
  const parsed = entry.schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new EventDecodeError(
      'INVALID',
      `invalid ${type}@${entry.version}${first ? `: ${first.path || '(root)'} ${first.message}` : ''}`,
      issues,
    );
  }
  return parsed.data as DomainEvent;
}
