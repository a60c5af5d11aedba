import type { SQL } from 'drizzle-orm';

/**
 * Anything that runs SQL inside the caller's transaction: a drizzle transaction, or the drizzle
 * database the consumer runner binds to its transaction's connection. The outbox is written
 * through it so the state change and its events commit together.
 */
export interface SqlExecutor {
  execute(query: SQL): Promise<{ rows: unknown[] }>;
}
