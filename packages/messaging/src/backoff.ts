/** Retry policy of the consumer runner. */
export interface RetryPolicy {
  /** Delay before the second delivery. */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseMs: 250, maxMs: 30_000 };

/**
 * Delays for a message that waits (on an event it depends on, or on the database or network):
 * short at first, because an overtaken event usually arrives milliseconds later, and never more
 * than 1 s, because under load the event it waits for can lag for seconds and each retry is cheap.
 */
export const defaultWaitPolicy: RetryPolicy = { baseMs: 20, maxMs: 1_000 };

/**
 * Delay before redelivering a message that failed on its `deliveryCount`-th delivery:
 * exponential (`base * 2^(n-1)`, capped) with "equal jitter" — a random point in the upper half.
 * The upper-half choice keeps delays non-decreasing from one attempt to the next while still
 * spreading replicas that failed together.
 */
export function retryDelay(deliveryCount: number, policy: RetryPolicy = defaultRetryPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(deliveryCount));
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}
