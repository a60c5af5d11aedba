import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import type { Logger } from './logger.js';

/** One drizzle-kit migrations folder and the table that records what of it was applied. */
export interface MigrationSet {
  /** Absolute path of the folder with `meta/_journal.json` and the `.sql` files. */
  readonly folder: string;
  /**
   * Migrations table (in schema `drizzle`). Each folder needs its own: drizzle applies every
   * migration newer than the newest row, so two folders sharing a table would skip each other.
   */
  readonly table: string;
}

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  readonly logger?: Logger;
}

// Arbitrary, fixed key. Advisory locks are scoped to the current database, so services on
// separate databases never wait for each other.
const MIGRATION_LOCK_KEY = 7_246_501_820_393_112n;

/**
 * Applies each set's pending migrations, in the given order (e.g. the messaging tables first,
 * then the service's own), holding a session-level Postgres advisory lock for the whole run.
 * Several replicas starting together therefore apply each migration exactly once: the others
 * wait on the lock, then find nothing left to do.
 *
 * Everything runs on one dedicated connection taken from the db's pool, the lock holder
 * included, so a pool of size 1 cannot deadlock. That connection is destroyed afterwards
 * rather than returned to the pool: closing the session is the one sure way to drop the lock.
 *
 * Hazard: a replica blocks here for as long as another one is migrating; a migration that
 * hangs (e.g. waiting on a lock held by a long transaction) stalls every replica's startup.
 *
 * @param db anything with the pg pool as `$client`, e.g. `createDb(url).db`
 */
export async function runMigrations(
  db: { readonly $client: pg.Pool },
  sets: readonly MigrationSet[],
  options: RunMigrationsOptions = {},
): Promise<void> {
  const client = await db.$client.connect();
  // A checked-out client has no pool error listener; without one a dropped connection
  // would crash the process instead of failing the migration.
  const onError = (err: Error) => options.logger?.warn({ err }, 'migration connection failed');
  client.on('error', onError);
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const session = drizzle({ client });
    for (const set of sets) {
      const started = performance.now();
      await migrate(session, { migrationsFolder: set.folder, migrationsTable: set.table });
      options.logger?.info(
        { migrationsTable: set.table, ms: Math.round(performance.now() - started) },
        'migrations up to date',
      );
    }
  } finally {
    client.release(true);
  }
}
