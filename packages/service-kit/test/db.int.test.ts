import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { testInfra } from '@orderflow/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createDb, createLogger, databaseUrlFor, ensureDatabase, lockOrders, rowsOf } from '../src/index.js';

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

describe('set-based statements', () => {
  it('plans a statement with an array parameter at each execution, so it finds the index once its table has grown', async () => {
    const name = `kit_plans_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(testInfra().adminDatabaseUrl, name);
    created.push(name);
    const handle = createDb(databaseUrlFor(testInfra().adminDatabaseUrl, name), { max: 1 });
    try {
      await handle.pool.query('create table things (id uuid primary key, n int not null)');
      await handle.pool.query('insert into things select gen_random_uuid(), g from generate_series(1, 20) g');
      const batch = () => Array.from({ length: 12 }, () => randomUUID());
      // The shape of the services' batch statements: a join of the batch's ids with the table.
      const lookup = (ids: string[]) =>
        handle.db.execute(sql`select t.id, t.n from unnest(${sql.param(ids)}::uuid[]) as u(id) left join things t on t.id = u.id`);
      // While the table is small a seq scan is the right plan; more than five runs let Postgres
      // settle on a generic plan for a named statement.
      for (let i = 0; i < 8; i++) await lookup(batch());
      await handle.pool.query('insert into things select gen_random_uuid(), g from generate_series(1, 50000) g');
      const scans = async () => {
        await handle.pool.query('select pg_stat_force_next_flush()'); // the one connection's counts, now
        return (await handle.pool.query<{ seq_scan: string }>("select seq_scan from pg_stat_user_tables where relname = 'things'")).rows[0]!.seq_scan;
      };
      const before = await scans();
      for (let i = 0; i < 20; i++) await lookup(batch());
      // A cached plan from when the table was small would scan all 50,000 rows 20 times.
      expect(await scans()).toBe(before);
    } finally {
      await handle.close();
    }
  });
});

describe('lockOrders', () => {
  it("takes lockOrder's lock of every order in one statement, in a fixed order: overlapping sets never deadlock", async () => {
    const handle = createDb(testInfra().adminDatabaseUrl, { max: 6 });
    try {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      // Transactions locking the same orders, half of them named in the opposite order.
      const lockAll = (order: string[]) =>
        handle.db.transaction(async (tx) => {
          await lockOrders(tx, order);
          await new Promise((r) => setTimeout(r, 10));
        });
      await Promise.all(Array.from({ length: 6 }, (_, k) => lockAll(k % 2 === 0 ? ids : [...ids].reverse())));
      // The same lock as lockOrder's: while one transaction holds it, no other gets it.
      await handle.db.transaction(async (tx) => {
        await lockOrders(tx, [ids[0]!, ids[1]!, ids[0]!]);
        const other = await handle.pool.query<{ got: boolean }>('select pg_try_advisory_xact_lock(7001, hashtext($1)) as got', [ids[1]]);
        expect(other.rows[0]!.got).toBe(false);
      });
    } finally {
      await handle.close();
    }
  });
});

describe('rowsOf', () => {
  it('turns the rows of a raw select * into what drizzle selects: property names, JSON, timestamps, nulls', async () => {
    const { adminDatabaseUrl } = testInfra();
    const name = `t_kit_rows_${randomBytes(4).toString('hex')}`;
    created.push(name);
    await ensureDatabase(adminDatabaseUrl, name);
    const handle = createDb(databaseUrlFor(adminDatabaseUrl, name));
    try {
      const things = pgTable('things', {
        id: uuid('id').primaryKey(),
        itemLines: jsonb('item_lines').$type<{ sku: string; quantity: number }[]>().notNull(),
        amountCents: integer('amount_cents'),
        createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
        note: text('note'),
      });
      await handle.pool.query('create table things (id uuid primary key, item_lines jsonb not null, amount_cents integer, created_at timestamptz(3) not null, note text)');
      await handle.db.insert(things).values([
        { id: randomUUID(), itemLines: [{ sku: 'A', quantity: 2 }], amountCents: 1250, createdAt: new Date('2026-11-30T10:00:00.123Z'), note: "it's" },
        { id: randomUUID(), itemLines: [], amountCents: null, createdAt: new Date('2026-11-30T11:00:00.000Z'), note: null },
      ]);
      const raw = (await handle.pool.query('select * from things order by created_at')).rows as Record<string, unknown>[];
      const viaDrizzle = await handle.db.select().from(things).orderBy(things.createdAt);
      expect(rowsOf(things, raw)).toEqual(viaDrizzle);
    } finally {
      await handle.close();
    }
  });
});
