import type pg from 'pg';
import { afterEach } from 'vitest';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { deadLetterStream, serviceStreams } from '@orderflow/contracts';
import { createTestDatabase, testInfra, uniqueNamespace } from '@orderflow/testkit';
import { ensureStreams, messagingMigrations } from '../src/index.js';

/** A query that prepares a statement on its connection (the statement cache), not part of a transaction. */
export const isPreparation = (q: unknown): boolean => typeof q === 'string' && /^(prepare|deallocate) /.test(q);

export interface Fixture {
  readonly ns: string;
  readonly dbUrl: string;
  /** Another pool on the fixture's database (a second replica), closed with the fixture. */
  createPool(max: number): pg.Pool;
  readonly pool: pg.Pool;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Rows the test handlers write, one per handled event: the observable "effect". */
  effects(consumer?: string): Promise<{ event_id: string; consumer: string }[]>;
  close(): Promise<void>;
}

/** A fresh database with the messaging tables and an `effects` table, and namespaced streams. */
export async function createFixture(options: { natsUrl?: string } = {}): Promise<Fixture> {
  const infra = testInfra();
  const db = await createTestDatabase({ prefix: 'messaging' });
  const pool = db.createPool({ max: 10 });
  await migrate(drizzle({ client: pool }), {
    migrationsFolder: messagingMigrations.folder,
    migrationsTable: messagingMigrations.table,
  });
  await pool.query('create table effects (event_id uuid not null, consumer text not null, at timestamptz not null default clock_timestamp())');
  const nc = await connect({ servers: options.natsUrl ?? infra.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const ns = uniqueNamespace();
  const jsm = await jetstreamManager(nc);
  const streams = [...serviceStreams(ns), deadLetterStream(ns)];
  await ensureStreams(jsm, streams);
  return {
    ns,
    dbUrl: db.url,
    createPool: (max) => db.createPool({ max }),
    pool,
    nc,
    js: jetstream(nc),
    jsm,
    async effects(consumer) {
      const { rows } = await pool.query<{ event_id: string; consumer: string }>(
        consumer ? 'select event_id, consumer from effects where consumer = $1 order by at' : 'select event_id, consumer from effects order by at',
        consumer ? [consumer] : [],
      );
      return rows;
    },
    async close() {
      if (!nc.isClosed()) {
        for (const s of streams) await jsm.streams.delete(s.name).catch(() => {});
        await nc.close();
      }
      await db.drop(); // ends the pools first
    },
  };
}

/**
 * A test file's cleanups, run after each test, last first, and `fixture()`, a fixture that is
 * closed with them.
 */
export function fixtureScope(): {
  readonly cleanups: (() => Promise<void>)[];
  readonly fixture: (options?: { natsUrl?: string }) => Promise<Fixture>;
} {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    fixture: async (options) => {
      const f = await createFixture(options);
      cleanups.push(() => f.close());
      return f;
    },
  };
}
