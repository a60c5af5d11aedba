import { randomBytes } from 'node:crypto';

const PREFIX = /^[A-Za-z0-9_-]*$/;

/**
 * A short random token, e.g. `t3fa9c21b` (prefix + 8 hex), safe as a NATS subject token, in
 * stream and consumer names, and in SQL identifiers (with a letter-first prefix). Use it to
 * keep subjects, streams and durable consumers of tests that share one server apart.
 */
export function uniqueNamespace(prefix = 't'): string {
  if (!PREFIX.test(prefix)) {
    throw new Error(`uniqueNamespace prefix must match ${String(PREFIX)} (no '.', '*', '>' or spaces); got "${prefix}"`);
  }
  return `${prefix}${randomBytes(4).toString('hex')}`;
}
