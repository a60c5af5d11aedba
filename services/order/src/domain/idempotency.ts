import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so two bodies that differ only in key order
 * (or whitespace) hash the same. Array order is kept: it is meaningful (order lines).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (hex) of the canonical form of a request body. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** What to do with a request whose Idempotency-Key was seen before. */
export type IdempotencyDecision = { readonly kind: 'replay' } | { readonly kind: 'conflict'; readonly why: string };

/**
 * The same key with the same body is a retry of the same request: answer with the order it
 * made. The same key with another body is a client bug: refuse it rather than guess.
 */
export function decideIdempotentRequest(stored: { readonly requestHash: string | null }, incomingHash: string): IdempotencyDecision {
  return stored.requestHash === incomingHash
    ? { kind: 'replay' }
    : { kind: 'conflict', why: 'this Idempotency-Key was used with a different request body' };
}
