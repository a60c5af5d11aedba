import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@orderflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, runMigrations, type MigrationSet } from '../src/index.js';

const sets: MigrationSet[] = [
  { folder: fileURLToPath(new URL('fixtures/migrations/app', import.meta.url)), table: '__drizzle_migrations' },
  { folder: fileURLToPath(new URL('fixtures/migrations/extra', import.meta.url)), table: '__extra_migrations' },
];

/**
 * Advisory locks held in this test's database. pg_locks lists the whole cluster's, and other test
 * files (the services' order locks) run beside this one: counting them all made these tests fail
 * now and then when the suites ran in parallel.
 */
const ADVISORY_LOCKS_HERE =
  "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())";

describe('runMigrations', () => {
  let database: TestDatabase;
  let other: TestDatabase;
  let bystander: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'kit_migrate' });
    // Another database's session holding an advisory lock throughout, as a parallel suite may.
    other = await createTestDatabase({ prefix: 'kit_bystander' });
    bystander = new pg.Client({ connectionString: other.url });
    await bystander.connect();
    await bystander.query('select pg_advisory_lock(42)');
  });
  afterAll(async () => {
    await bystander?.end();
    await other?.drop();
    await database.drop();
  });

  it('applies each migration once when three replicas start together', async () => {
    // Separate pools of size 1: three "replicas", and proof that the lock holder and the
    // migration share one connection (a second one would deadlock here).
    const replicas = [1, 2, 3].map(() => createDb(database.url, { max: 1 }));
    try {
      await Promise.all(replicas.map((r) => runMigrations(r.db, sets)));
      const { pool } = replicas[0]!;
      const runs = await pool.query<{ migration: string }>('select migration from migration_runs order by id');
      expect(runs.rows.map((r) => r.migration)).toEqual(['app/0000', 'app/0001', 'extra/0000']);
      const applied = await pool.query<{ app: string; extra: string }>(
        'select (select count(*) from drizzle.__drizzle_migrations) as app, (select count(*) from drizzle.__extra_migrations) as extra',
      );
      expect(applied.rows[0]).toEqual({ app: '2', extra: '1' });
      const columns = await pool.query("select 1 from information_schema.columns where table_name = 'widgets' and column_name = 'color'");
      expect(columns.rowCount).toBe(1);

      // Running again is a no-op, and no advisory lock is left behind.
      await runMigrations(replicas[1]!.db, sets);
      expect((await pool.query('select count(*)::int as n from migration_runs')).rows[0]).toEqual({ n: 3 });
      const locks = await pool.query(ADVISORY_LOCKS_HERE);
      expect(locks.rows[0]).toEqual({ n: 0 });
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('fails loudly on a broken folder and still releases the lock', async () => {
    const handle = createDb(database.url, { max: 2 });
    try {
      await expect(runMigrations(handle.db, [{ folder: '/nonexistent/migrations', table: '__broken_migrations' }])).rejects.toThrow();
      const locks = await handle.pool.query(ADVISORY_LOCKS_HERE);
      expect(locks.rows[0]).toEqual({ n: 0 });
      await runMigrations(handle.db, sets);
    } finally {
      await handle.close();
    }
  });
});
