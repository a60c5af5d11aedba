import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  deadLetterStream,
  serviceStreams,
  streamOf,
  type DomainEvent,
  type EventType,
  type ServiceName,
} from '@orderflow/contracts';
import {
  createConsumerRunner,
  collectOutbox,
  createGroupCommit,
  createOutboxRelay,
  createSharedTransactions,
  ensureStreams,
  messagingMigrations,
  type ConsumerRunner,
  type BatchEventHandler,
  type EventHandler,
  type OutboxRelay,
  type OutboxRecord,
  type MergeableWrite,
  type ParameterizedQuery,
  type Write,
} from '@orderflow/messaging';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createDb, databaseUrlFor, ensureDatabase, isPgError, type Db, type Tx } from './db.js';
import type { BaseEnv } from './env.js';
import { dbCheck, natsCheck, type ReadinessCheck } from './health.js';
import type { HttpServer } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { createMessagingMetrics, createMetricsRegistry } from './metrics.js';
import { runMigrations } from './migrate.js';
import { onShutdown } from './shutdown.js';

/** Everything a service's routes, handlers and seeders may use. Built once in `startService`. */
export interface ServiceDeps<TSchema extends Record<string, unknown>> {
  readonly service: ServiceName;
  readonly env: BaseEnv;
  readonly logger: Logger;
  readonly db: Db<TSchema>;
  /**
   * `db.transaction(fn)`, after which the events `fn` enqueued are published at once (the relay's
   * fast path) instead of at its next poll. Use it for every transaction that calls `enqueue`.
   * Hazard: do not enqueue inside a nested `tx.transaction()` (a savepoint) that may roll back.
   */
  transaction<T>(fn: (tx: Tx<TSchema>) => Promise<T>): Promise<T>;
  /**
   * Writes that need no answer from the database before the commit (e.g. a new aggregate's rows)
   * and the outbox rows of their events, as one transaction sent in one round trip instead of one
   * per statement (messaging's `commitInOneRoundTrip`); the events are then published at once,
   * as `transaction`'s are. Callers that arrive while others' commits are in flight are committed
   * together, one transaction for all (messaging's `createGroupCommit`); one caller's failing
   * statement fails only that caller. `statements` are drizzle query builders (`db.insert(…).values(…)`),
   * rendered with `toSQL()` (run as statements prepared on the connection, values inlined until
   * they are: messaging's statement cache), or rows to merge with the other callers' of
   * the same key into one statement (messaging's `MergeableWrite`). Build the records with
   * `toOutboxRecords`.
   */
  commitAtOnce(statements: readonly WriteSpec[], records: readonly OutboxRecord[]): Promise<void>;
  readonly pool: pg.Pool;
  readonly nc: NatsConnection;
  readonly metrics: Registry;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Injected clock. */
  readonly clock: () => Date;
}

/** How old an unpublished outbox row must be before a polling pass publishes it (see startService). */
const OUTBOX_CLAIM_GRACE_MS = 2000;

/**
 * How long published outbox rows wait to be deleted together (the relay's `deleteDelayMs`; well
 * inside the grace above, so a pass never sees them as unpublished). Each delete is a statement and
 * a commit of its own: with the relay's 50 ms, a service at low load deleted after nearly every
 * transaction, a third more commits per order; at 500 ms it is two a second whatever the load.
 */
const OUTBOX_DELETE_DELAY_MS = 500;

/** One durable consumer of a service: every event of the `from` service's stream goes to `handler`. */
export interface ConsumerSpec<TSchema extends Record<string, unknown>> {
  /** Durable name `<service>-<purpose>`; never rename once released. */
  readonly name: string;
  /** The publishing service whose stream (all its event types) this consumer reads. */
  readonly from: ServiceName;
  readonly handler: EventHandler<TSchema>;
  /**
   * Set-based handling of a transaction's fresh events, equal in effect to `handler` on each in
   * turn (messaging `ConsumerRunnerOptions.batchHandler`).
   */
  readonly batchHandler?: BatchEventHandler<TSchema>;
  /**
   * The statements `batchHandler`'s work begins with (locks, reads), sent with `begin` and the
   * inbox insert in one round trip; their rows reach it as `ctx.read` (messaging
   * `ConsumerRunnerOptions.reads`). Render drizzle `sql` with `renderSql`.
   */
  readonly reads?: (events: readonly DomainEvent[]) => readonly ParameterizedQuery[];
  /** The event types `handler` acts on; the stream's other types are acked with no transaction. Default: all. */
  readonly types?: readonly EventType[];
  readonly batchSize?: number;
  /** Transactions in flight at once; one order's messages never run concurrently (messaging `ConsumerRunnerOptions.concurrency`). */
  readonly concurrency?: number;
  /**
   * The runner's write-only fast path (messaging `ConsumerRunnerOptions.writeOnly`): for an event
   * whose whole effect is a few idempotent writes, those writes as drizzle query builders (not
   * run) or rows to merge with the batch's other events' (messaging's `MergeableWrite`);
   * `undefined` otherwise. `handler` must make the same writes.
   */
  readonly writeOnly?: (event: DomainEvent, now: Date) => readonly WriteSpec[] | undefined;
}

/** What makes a service: its schema and migrations, its consumers, its HTTP app. */
export interface ServiceDefinition<TSchema extends Record<string, unknown>> {
  readonly name: ServiceName;
  readonly schema: TSchema;
  /** drizzle-kit migrations folder of the service's own tables. */
  readonly migrationsFolder: string;
  readonly consumers: (deps: ServiceDeps<TSchema>) => readonly ConsumerSpec<TSchema>[];
  /** `buildApp(deps)` of the service (routes registered, not listening). */
  readonly buildApp: (deps: ServiceDeps<TSchema>) => HttpServer;
  /** Idempotent data set-up after migrations (e.g. a seeded catalogue). */
  readonly seed?: (deps: ServiceDeps<TSchema>) => Promise<void>;
}

export interface StartOptions {
  /** Interface to listen on (default 0.0.0.0 in containers, as given by HOST). */
  readonly host?: string;
  /** Install SIGTERM/SIGINT handlers that stop the service and exit (main.ts); tests call stop(). */
  readonly handleSignals?: boolean;
  readonly clock?: () => Date;
}

export interface RunningService<TSchema extends Record<string, unknown>> {
  readonly url: string;
  readonly port: number;
  readonly deps: ServiceDeps<TSchema>;
  readonly app: HttpServer;
  /** Closes HTTP, stops consumers and the relay, drains NATS, ends the pool — in that order. */
  stop(): Promise<void>;
}

/**
 * Creates the service's database when it is missing (a fresh DATABASE_URL), through the server's
 * `postgres` database; a role without CREATEDB (the compose stack) must find it already there.
 */
async function ensureOwnDatabase(url: string, logger: Logger): Promise<void> {
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!name || name === 'postgres') return;
  try {
    if (await ensureDatabase(databaseUrlFor(url, 'postgres'), name)) logger.info({ database: name }, 'database created');
  } catch (err) {
    if (isPgError(err, '42501') || isPgError(err, '3D000') || isPgError(err, '28000')) return;
    logger.warn({ err, database: name }, 'could not ensure the database exists; trying to use it as is');
  }
}

/**
 * Starts one service: database (created and migrated under an advisory lock), NATS, streams,
 * the outbox relay, the durable consumers, then HTTP. Every service's `main.ts` is this call.
 */
export async function startService<TSchema extends Record<string, unknown>>(
  definition: ServiceDefinition<TSchema>,
  env: BaseEnv,
  options: StartOptions = {},
): Promise<RunningService<TSchema>> {
  const logger = createLogger({ service: definition.name, level: env.LOG_LEVEL });
  const namespace = env.NATS_NAMESPACE || undefined;
  await ensureOwnDatabase(env.DATABASE_URL, logger);
  const handle = createDb(env.DATABASE_URL, { schema: definition.schema, logger });
  const { db, pool } = handle;
  await runMigrations(db, [messagingMigrations, { folder: definition.migrationsFolder, table: '__drizzle_migrations' }], {
    logger,
  });

  const nc = await connect({
    servers: env.NATS_URL,
    name: `${definition.name}-service`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js builds an Error with a stack for every request to keep async traces; that was
    // ~30% of the relay's CPU in the benchmark. Timeouts lose the caller's stack instead.
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [...serviceStreams(namespace), deadLetterStream(namespace)]);

  const metrics = createMetricsRegistry(definition.name);
  const messagingMetrics = createMessagingMetrics(metrics);
  // Every writer hands its committed outbox rows to the relay (deps.transaction, the runners'
  // onCommitted), which publishes them at once; its polling passes are only the safety net for
  // rows a crash or an outage left behind, so they leave rows younger than the grace period
  // alone.
  const relay: OutboxRelay = createOutboxRelay({
    pool,
    nc,
    namespace,
    logger,
    metrics: messagingMetrics,
    claimGraceMs: OUTBOX_CLAIM_GRACE_MS,
    deleteDelayMs: OUTBOX_DELETE_DELAY_MS,
  });
  // Concurrent commitAtOnce callers (e.g. POST /orders under load) share transactions.
  const groupCommit = createGroupCommit(pool, { onCommitted: (rows) => relay.publishCommitted(rows) });
  const deps: ServiceDeps<TSchema> = {
    service: definition.name,
    env,
    logger,
    db,
    async transaction(fn) {
      const { result, rows } = await collectOutbox(() => db.transaction(fn));
      relay.publishCommitted(rows);
      return result;
    },
    async commitAtOnce(statements, records) {
      await groupCommit(statements.map(writeOf), records);
    },
    pool,
    nc,
    metrics,
    readiness: { nats: natsCheck(nc), db: dbCheck(pool) },
    clock: options.clock ?? (() => new Date()),
  };
  await definition.seed?.(deps);

  await relay.start();
  const specs = definition.consumers(deps);
  // Consumers whose handling stays in the database share transactions (see
  // CONSUMER_SHARED_TRANSACTIONS); one that runs several at once (it waits on something outside,
  // a mail server) keeps its own, so the others never wait on it.
  const shares = (spec: ConsumerSpec<TSchema>) => (spec.concurrency ?? 1) === 1;
  const sharing =
    env.CONSUMER_SHARED_TRANSACTIONS > 0 && specs.filter(shares).length > 1
      ? createSharedTransactions(pool, { concurrency: env.CONSUMER_SHARED_TRANSACTIONS, lingerMs: env.CONSUMER_LINGER_MS })
      : undefined;
  const runners: ConsumerRunner[] = specs.map((spec) =>
    createConsumerRunner({
      nc,
      pool,
      schema: definition.schema,
      source: definition.name,
      name: spec.name,
      stream: streamOf(spec.from, namespace).name,
      filterSubject: streamOf(spec.from, namespace).subjects[0]!,
      namespace,
      handler: spec.handler,
      batchHandler: spec.batchHandler,
      reads: spec.reads,
      types: spec.types,
      writeOnly: writeOnlyQueries(spec.writeOnly),
      // A sharing consumer lingers in the shared transactions instead (see createSharedTransactions).
      lingerMs: sharing && shares(spec) ? 0 : env.CONSUMER_LINGER_MS,
      sharing: shares(spec) ? sharing : undefined,
      onCommitted: (rows) => relay.publishCommitted(rows),
      batchSize: spec.batchSize,
      concurrency: spec.concurrency,
      clock: deps.clock,
      logger,
      metrics: messagingMetrics,
    }),
  );
  for (const r of runners) await r.start();

  const app = definition.buildApp(deps);
  await app.listen({ port: env.PORT, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;

  let stopped: Promise<void> | undefined;
  const stopSteps = [
    { name: 'http', run: () => app.close() },
    { name: 'consumers', run: () => Promise.all(runners.map((r) => r.stop())).then(() => undefined) },
    { name: 'relay', run: () => relay.stop() },
    { name: 'nats', run: () => nc.drain() },
    { name: 'db', run: () => handle.close() },
  ];
  const stop = async () => {
    stopped ??= (async () => {
      for (const step of stopSteps) {
        try {
          await step.run();
        } catch (err) {
          logger.warn({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })();
    return stopped;
  };
  if (options.handleSignals) onShutdown([{ name: 'service', run: stop }], { logger });
  logger.info({ port, namespace: namespace ?? '' }, `${definition.name} service ready`);
  return { url: `http://127.0.0.1:${port}`, port, deps, app, stop };
}

/** A drizzle query builder (rendered with `toSQL()`), or rows to merge (messaging's `MergeableWrite`). */
export type WriteSpec = { toSQL(): ParameterizedQuery } | MergeableWrite<unknown>;

function writeOf(spec: WriteSpec): Write {
  return 'toSQL' in spec ? spec.toSQL() : spec;
}

/** A spec's `writeOnly` as the runner takes it (drizzle builders rendered to SQL and values). */
function writeOnlyQueries(
  writeOnly: ConsumerSpec<Record<string, unknown>>['writeOnly'],
): ((event: DomainEvent, now: Date) => Write[] | undefined) | undefined {
  return writeOnly && ((event, now) => writeOnly(event, now)?.map(writeOf));
}
