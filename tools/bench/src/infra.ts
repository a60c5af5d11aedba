import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { deadLetterStream, serviceStreams, type StreamDefinition } from '@orderflow/contracts';
import { ensureStreams, messagingMigrations } from '@orderflow/messaging';

/** Everything one bench run owns: a fresh database, a namespace of fresh streams, the connections. */
export interface BenchInfra {
  /** Subject prefix and stream-name suffix of every stream the bench touches. */
  readonly ns: string;
  readonly dbName: string;
  /** URL of the bench's own database. */
  readonly dbUrl: string;
  readonly pool: pg.Pool;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /**
   * A second connection with nats.js `noAsyncTraces` (no Error with a stack captured per request),
   * to show what that option is worth; undefined when the main connection already has it.
   */
  readonly jsNoTraces: JetStreamClient | undefined;
  /** The connection of `jsNoTraces`. */
  readonly ncNoTraces: NatsConnection | undefined;
  readonly streams: readonly StreamDefinition[];
  readonly serverInfo: { readonly nats: string; readonly postgres: string };
  /** Deletes the streams, closes the connections and drops the database. Safe to call twice. */
  close(): Promise<void>;
}

/** The tables the scenarios write besides the messaging ones. */
const BENCH_TABLES = `
  create table bench_raw (id bigint generated always as identity primary key, payload text not null);
  -- The runner's handler writes one row here per event: the "state change" of a real handler.
  create table bench_reservations (
    order_id uuid primary key,
    lines int not null,
    amount_cents bigint not null,
    reserved_at timestamptz not null
  );`;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createBenchInfra(options: {
  databaseUrl: string;
  natsUrl: string;
  poolSize?: number;
  /** nats.js `noAsyncTraces`: skip the Error (stack capture) it builds for every request. */
  noAsyncTraces?: boolean;
}): Promise<BenchInfra> {
  const suffix = randomBytes(4).toString('hex');
  const ns = `bench_${suffix}`;
  const dbName = `bench_${suffix}`;
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  const version = await admin.query<{ v: string }>(`select current_setting('server_version') as v`);
  await admin.query(`create database ${dbName}`);
  await admin.end();

  const dbUrl = withDatabase(options.databaseUrl, dbName);
  const pool = new pg.Pool({ connectionString: dbUrl, max: options.poolSize ?? 16 });
  let nc: NatsConnection | undefined;
  let ncNoTraces: NatsConnection | undefined;
  let streams: StreamDefinition[] = [];
  let closed = false;

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    if (nc && !nc.isClosed()) {
      const jsm = await jetstreamManager(nc);
      for (const s of streams) await jsm.streams.delete(s.name).catch(() => {});
      // Raw-floor streams are named after the namespace too; remove any a failed run left behind.
      for await (const name of jsm.streams.names()) if (name.endsWith(ns)) await jsm.streams.delete(name).catch(() => {});
      await nc.drain();
    }
    if (ncNoTraces && !ncNoTraces.isClosed()) await ncNoTraces.drain();
    await pool.end().catch(() => {});
    const a = new pg.Client({ connectionString: options.databaseUrl });
    await a.connect();
    try {
      await a.query(`drop database if exists ${dbName} with (force)`);
    } finally {
      await a.end();
    }
  }

  try {
    await migrate(drizzle({ client: pool }), {
      migrationsFolder: messagingMigrations.folder,
      migrationsTable: messagingMigrations.table,
    });
    await pool.query(BENCH_TABLES);
    nc = await connect({ servers: options.natsUrl, name: `orderflow-bench-${suffix}`, noAsyncTraces: options.noAsyncTraces ?? false });
    if (!options.noAsyncTraces) {
      ncNoTraces = await connect({ servers: options.natsUrl, name: `orderflow-bench-${suffix}-notraces`, noAsyncTraces: true });
    }
    const jsm = await jetstreamManager(nc);
    streams = [...serviceStreams(ns), deadLetterStream(ns)];
    await ensureStreams(jsm, streams);
    return {
      ns,
      dbName,
      dbUrl,
      pool,
      nc,
      js: jetstream(nc),
      jsm,
      jsNoTraces: ncNoTraces ? jetstream(ncNoTraces) : undefined,
      ncNoTraces,
      streams,
      serverInfo: { nats: nc.info?.version ?? 'unknown', postgres: version.rows[0]?.v ?? 'unknown' },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}
