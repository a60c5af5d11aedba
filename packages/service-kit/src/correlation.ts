import { randomUUID } from 'node:crypto';

/** Request and response header carrying the correlation id. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

// A client-supplied id ends up in every log line and event of the flow: bound its length and
// alphabet so it cannot inject log fields, header breaks or megabytes of junk.
const VALID_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** True when `value` is acceptable as a client-supplied correlation id. */
export function isValidCorrelationId(value: string): boolean {
  return VALID_CORRELATION_ID.test(value);
}

/**
 * The correlation id for a request: the client's `X-Correlation-Id` when it is valid (1–200
 * characters of `A-Z a-z 0-9 . _ : -`), else a new UUID. An invalid id is replaced rather than
 * rejected: tracing must never be the reason a request fails.
 */
export function correlationIdFrom(header: string | readonly string[] | undefined): string {
  const value = Array.isArray(header) ? (header as readonly string[])[0] : (header as string | undefined);
  return value !== undefined && isValidCorrelationId(value) ? value : randomUUID();
}
