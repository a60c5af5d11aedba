import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  readonly intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  readonly message?: string;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Calls `fn` until it returns a truthy value and returns that value. A throw counts as "not
 * yet" (so `fn` may contain assertions). On timeout it throws with the last error (as `cause`)
 * or the last value. An attempt still running at the deadline is abandoned, not awaited.
 */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last: { error: unknown } | { value: unknown } | undefined;

  for (;;) {
    attempts += 1;
    const remaining = deadline - Date.now();
    const attempt = Promise.resolve().then(fn);
    // An abandoned attempt may still reject later; that must not become an unhandled rejection.
    attempt.catch(() => undefined);
    const timer = new AbortController();
    try {
      const value = await Promise.race([
        attempt,
        sleep(Math.max(remaining, 0), TIMED_OUT, { signal: timer.signal }),
      ]);
      if (value !== TIMED_OUT) {
        if (value) return value;
        last = { value };
      }
    } catch (error) {
      last = { error };
    } finally {
      timer.abort();
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    // The last pause is cut short so one more attempt runs right at the deadline.
    await sleep(Math.min(intervalMs, left));
  }

  const what = options.message ?? 'condition';
  const prefix = `eventually: ${what} not met within ${timeoutMs} ms (${attempts} attempts)`;
  if (last === undefined) throw new Error(`${prefix}; the first attempt never finished`);
  if ('error' in last) {
    const reason = last.error instanceof Error ? last.error.message : inspect(last.error);
    throw new Error(`${prefix}; last error: ${reason}`, { cause: last.error });
  }
  throw new Error(`${prefix}; last value: ${inspect(last.value, { depth: 3 })}`);
}
