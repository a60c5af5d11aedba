import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { testInfra } from '@orderflow/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, createLogger, databaseUrlFor, ensureDatabase } from '../src/index.js';

const created: string[] = [];

afterAll(async () => {
  const admin = new pg.Client({ connectionString: testInfra().adminDatabaseUrl });
  await admin.connect();
  for (const name of created) await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
  await admin.end();
});

describe('databaseUrlFor', () => {
  it('swaps only the database name', () => {
    expect(databaseUrlFor('postgres://u:p%40ss@db.local:5433/postgres?sslmode=disable', 'order')).toBe(
      'postgres://u:p%40ss@db.local:5433/order?sslmode=disable',
    );
    expect(databaseUrlFor('postgres://postgres@127.0.0.1', 'inventory')).toBe('postgres://postgres@127.0.0.1/inventory');
  });
});

describe('ensureDatabase', () => {
  it('creates a database once, even when several processes race', async () => {
    const { adminDatabaseUrl } = testInfra();
    const name = `t_kit_ensure_${randomBytes(4).toString('hex')}`;
    created.push(name);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => ensureDatabase(adminDatabaseUrl, name)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabase(adminDatabaseUrl, name)).toBe(false);

    const handle = createDb(databaseUrlFor(adminDatabaseUrl, name));
    const { rows } = await handle.db.execute<{ db: string }>(sql`select current_database() as db`);
    expect(rows[0]?.db).toBe(name);
    await handle.close();
    await handle.close();
  });
});

describe('createDb', () => {
  it('logs a killed idle connection instead of crashing, and recovers', async () => {
    const { adminDatabaseUrl } = testInfra();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ service: 'test', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
    const handle = createDb(adminDatabaseUrl, { max: 1, logger });
    try {
      const { rows } = await handle.pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      const admin = new pg.Client({ connectionString: adminDatabaseUrl });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await admin.end();
      await expect.poll(() => lines.some((l) => l['level'] === 40 && String(l['msg']).includes('idle postgres connection'))).toBe(true);
      expect((await handle.pool.query('select 1 as ok')).rows[0]).toEqual({ ok: 1 });
    } finally {
      await handle.close();
    }
  });

  it('prepares each parameterized statement once per connection, drizzle\'s included', async () => {
    const handle = createDb(testInfra().adminDatabaseUrl, { max: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        await handle.db.execute(sql`select ${i}::int + 1 as n`);
        await handle.pool.query('select $1::text as s', [`x${i}`]);
      }
      await handle.pool.query('select 1 as unparameterized');
      const { rows } = await handle.pool.query<{ statement: string }>('select statement from pg_prepared_statements order by statement');
      expect(rows.map((r) => r.statement.replace(/\s+/g, ' ').trim())).toEqual(['select $1::int + 1 as n', 'select $1::text as s']);
      expect((await handle.db.execute(sql`select ${41}::int + 1 as n`)).rows).toEqual([{ n: 42 }]);
    } finally {
      await handle.close();
    }
  });
});
