import type pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  decodeEvent,
  isEventDecodeError,
  typeOfSubject,
  type AnyEventDraft,
  type DomainEvent,
  type Namespace,
  type ServiceName,
} from '@orderflow/contracts';
import { defaultRetryPolicy, defaultWaitPolicy, retryDelay, type RetryPolicy } from './backoff.js';
import { runWithContext } from './context.js';
import { publishDeadLetter, type DeadLetterReason } from './dead-letters.js';
import { isNotReadyError, isPermanentError } from './errors.js';
import { isInfrastructureError } from './infra-errors.js';
import { silentLogger, type Logger } from './logger.js';
import { noopMetrics, type MessagingMetrics } from './metrics.js';
import { toOutboxRecords, type CommittedOutboxRow, type OutboxRecord } from './outbox.js';
import { mergeWrites, queryInOneRoundTrip, type ParameterizedQuery, type Write } from './one-round-trip.js';
import { inboxInsertQuery, isSharedTransactionError, runParts, type SharedTransactions, type TransactionPart } from './shared-transactions.js';
import { statementText } from './statement-cache.js';
import { ensureConsumer } from './provision.js';
import { childTraceparent } from './trace.js';

/** What a handler gets besides the event. */
export interface HandlerContext<TSchema extends Record<string, unknown> = Record<string, never>> {
  /**
   * Drizzle bound to the runner's open transaction: the inbox row, everything the handler
   * writes and the outbox rows of the events it returns commit together.
   * Hazard: do not call `tx.transaction()` on it; the transaction is already open.
   */
  readonly tx: NodePgDatabase<TSchema>;
  /** The runner's clock (injectable for tests). */
  readonly now: Date;
  readonly log: Logger;
  /** 1 on first delivery; grows with every redelivery. */
  readonly deliveryCount: number;
  /** Tells JetStream the message is still being worked on (resets its ack timer). */
  working(): void;
}

/**
 * Handles one event and returns the events it causes; it never publishes. It may run more than
 * once for the same event only if its transaction rolled back, so its writes are all-or-nothing.
 * Throw `PermanentError` for a message that can never succeed; anything else is retried.
 */
export type EventHandler<TSchema extends Record<string, unknown> = Record<string, never>> = (
  event: DomainEvent,
  ctx: HandlerContext<TSchema>,
) => Promise<readonly AnyEventDraft[]>;

/** What a batch handler gets besides the events. */
export interface BatchHandlerContext<TSchema extends Record<string, unknown> = Record<string, never>> {
  /** Drizzle bound to the runner's open transaction, as `HandlerContext.tx`. */
  readonly tx: NodePgDatabase<TSchema>;
  /** The runner's clock, read once for the whole batch. */
  readonly now: Date;
  readonly log: Logger;
  /**
   * The rows of each statement the consumer's `reads` gave for this transaction, in order: they ran
   * with `begin` and the inbox insert, in the same round trip (empty when it has no `reads`).
   */
  readonly read: readonly (readonly Record<string, unknown>[])[];
  /**
   * Queues a write to run at the end of this batch's part of the transaction, in the next round
   * trip: after every statement the handler ran itself, before the outbox insert. That is the
   * commit's round trip, or in a shared transaction (`sharing`) where a later part holds an event
   * of the same order, the one that carries that part's reads. If it fails, the transaction rolls
   * back as if the handler had thrown, and the events run again (a shared transaction's in one of
   * their own first), one by one through the single-event handler if need be.
   */
  readonly atCommit: (query: ParameterizedQuery) => void;
}

/** A batch handler's result for one event it could not handle (see {@link eventFailed}). */
export interface EventFailure {
  readonly failed: unknown;
}

/**
 * The result of one event of a batch that failed while the others succeeded: the runner commits
 * the others, forgets this one in the inbox (so its redelivery is fresh) and settles it as if its
 * handler had thrown `error` (retried later, or dead-lettered). The batch handler must have undone
 * this event's writes in the transaction. Meant for handlers with an effect outside the database
 * (a mail): throwing would roll back, and so repeat, the effects of the events that succeeded.
 * Also for an event that must wait (a `NotReadyError`: it overtook the event it depends on): thrown,
 * it would roll back the whole batch and re-run every event of it in a transaction of its own.
 */
export function eventFailed(error: unknown): EventFailure {
  return { failed: error };
}

function isEventFailure(result: readonly AnyEventDraft[] | EventFailure): result is EventFailure {
  return !Array.isArray(result);
}

/**
 * Set-based handling: every fresh event of one transaction at once, in delivery order, so a
 * handler can read and write for all of them with a fixed number of statements instead of a few
 * per event. It returns each event's drafts, in the same order, or `eventFailed(error)` for one
 * whose writes it undid. Its effect must equal running the single-event handler on each event in
 * turn: when it throws, the transaction rolls back and the events run again one transaction each
 * through the single-event handler, which then settles the one that fails (retry,
 * `NotReadyError`, `PermanentError`).
 */
export type BatchEventHandler<TSchema extends Record<string, unknown> = Record<string, never>> = (
  events: readonly DomainEvent[],
  ctx: BatchHandlerContext<TSchema>,
) => Promise<readonly (readonly AnyEventDraft[] | EventFailure)[]>;

export interface ConsumerRunnerOptions<TSchema extends Record<string, unknown> = Record<string, never>> {
  readonly nc: NatsConnection;
  readonly pool: pg.Pool;
  /** Drizzle schema for `ctx.tx` (relational queries). */
  readonly schema?: TSchema;
  /** The consuming service: `source` of the events the handler returns. */
  readonly source: ServiceName;
  /** Durable consumer name, `<service>-<purpose>`; shared by all replicas. */
  readonly name: string;
  readonly stream: string;
  /** One subject filter, e.g. `subjectFilter('order.placed')`. */
  readonly filterSubject: string;
  readonly namespace?: Namespace;
  readonly handler: EventHandler<TSchema>;
  /**
   * Batch mode: handles a transaction of two or more fresh events in one call (see
   * `BatchEventHandler`); one event, and every event of a batch that failed, goes to `handler`.
   */
  readonly batchHandler?: BatchEventHandler<TSchema>;
  /**
   * Batch mode with a `batchHandler`: the statements its work begins with (locks, reads), for
   * every event of the transaction, duplicates included (so they must be harmless for an event
   * already handled). They go to Postgres with `begin` and the inbox insert, as one
   * multi-statement query (values inlined), and their rows reach the batch handler as
   * `ctx.read`; with `ctx.atCommit` for its writes, a transaction is two round trips whatever its
   * statements. With `reads`, a transaction of one fresh event also goes to the batch handler; an
   * event that failed in a batch runs alone through `handler`.
   */
  readonly reads?: (events: readonly DomainEvent[]) => readonly ParameterizedQuery[];
  /**
   * The event types the handler acts on (default: every type of the stream). A message of another
   * type is acked at once, with no transaction and no inbox row: a stream carries every event of
   * its service, and most consumers want a few of them.
   */
  readonly types?: readonly string[];
  /**
   * `batch` (default): each fetched batch runs in one transaction; if any message fails, the
   * batch is rolled back and its messages re-run one transaction each, so a bad message is
   * isolated. `single`: always one transaction per message.
   */
  readonly mode?: 'batch' | 'single';
  /** Messages per transaction in batch mode. */
  readonly batchSize?: number;
  /**
   * Transactions in flight at once (default 1). Messages of one order (the subject's last token)
   * never run at the same time and run in the order received; others may. For a consumer that
   * must run one message per transaction (`batchSize: 1`), or whose transactions wait on
   * something outside the database (a mail server), this is what keeps it from falling behind.
   */
  readonly concurrency?: number;
  /**
   * Batch mode: the least time between the starts of two transactions of one worker. A message
   * that finds the last transaction started longer ago than this goes at once; one that follows
   * closer waits for the rest of the interval, and whatever arrives meanwhile joins its
   * transaction. Every transaction costs a begin, an inbox insert, an outbox insert, a commit and
   * the wake-ups of three processes whatever its size, so under load this buys larger batches
   * (and, in the benchmark, shorter waits at half the maximum rate: docs/performance.md, tenth
   * pass); an idle hop is not slowed at all, a busy one by at most this much.
   * Default 0 (every transaction starts as soon as the last one ends).
   */
  readonly lingerMs?: number;
  /** Delivered-but-unacked bound for the durable consumer (all replicas). */
  readonly maxAckPending?: number;
  readonly ackWaitMs?: number;
  /** Deliveries before a failing message is dead-lettered. Infrastructure errors never count. */
  readonly maxAttempts?: number;
  readonly retry?: RetryPolicy;
  /**
   * Redelivery delays of a message whose handler threw `NotReadyError` (an event that overtook the
   * one it depends on, usually by milliseconds) or hit an infrastructure error. These never count
   * as attempts, so the policy can start short.
   */
  readonly waitRetry?: RetryPolicy;
  /** How long `stop()` keeps processing already-delivered messages before nak'ing the rest. */
  readonly stopTimeoutMs?: number;
  /**
   * How long one pull request stays open waiting for messages (≥ 1000, nats.js's minimum); bounds
   * how long stop() waits for it. Its idle heartbeats come every half of it and nats.js ends the
   * fetch after two missed, which a process starved of CPU for that long can see spuriously;
   * a message on its way then waits for ack_wait. 2000 makes that need a 1 s stall.
   */
  readonly fetchExpiresMs?: number;
  /**
   * Pull requests kept open at once (default 4), each by a loop of its own, started a fraction of
   * `fetchExpiresMs` apart: a request the server drops leaves the others being served.
   */
  readonly pullLoops?: number;
  readonly clock?: () => Date;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly metrics?: MessagingMetrics;
  /**
   * Receives the outbox rows of each committed transaction (the events its handlers returned), to
   * publish them at once: `(rows) => relay.publishCommitted(rows)`. Without it they wait for the
   * relay's next pass.
   */
  readonly onCommitted?: (rows: readonly CommittedOutboxRow[]) => void;
  /**
   * The write-only fast path. For an event whose whole effect is a few idempotent writes (no
   * reads, no events returned: e.g. a fact recorded with `on conflict do nothing`), return those
   * writes; `undefined` for any other event. A batch whose every event has such writes runs as
   * one round trip: `begin`, the inbox insert, every write, `commit`, in one multi-statement
   * query (values inlined). The writes of a redelivered event run again, which is why they must
   * be idempotent; the inbox still tells duplicates apart. When such a batch fails, its events
   * run through `handler` as any other, so `handler` must do the same writes (and may map their
   * errors, e.g. to a `PermanentError`). Mergeable writes (`MergeableWrite`) of the batch's events
   * go to Postgres as one statement per key.
   */
  readonly writeOnly?: (event: DomainEvent, now: Date) => readonly Write[] | undefined;
  /**
   * Transactions shared with the service's other consumers (`createSharedTransactions`, one per
   * service): each batch, write-only ones included, joins whatever the others have waiting, so
   * one begin, commit and pair of round trips serves all of them. Give such a consumer
   * `lingerMs: 0`: the shared transactions linger instead (see `createSharedTransactions`). Not
   * for a consumer whose handling waits on something outside the database (a mail server): the
   * others would wait too.
   */
  readonly sharing?: SharedTransactions;
  /** Fault injection for crash tests: runs after the commit and before the acks. */
  readonly faults?: { readonly beforeAck?: () => void | Promise<void> };
}

export interface ConsumerRunner {
  readonly name: string;
  /** Ensures the durable consumer and starts pulling. */
  start(): Promise<void>;
  /**
   * Stops pulling, finishes the messages already delivered (committed and acked), and resolves.
   * Drain the NATS connection after this, so the last acks are flushed.
   */
  stop(): Promise<void>;
}

interface Item {
  readonly msg: JsMsg;
  readonly event: DomainEvent;
  outcome?: 'processed' | 'duplicate';
  /** Set when a batch handler reported this event failed while its batch committed. */
  failure?: { readonly error: unknown };
}

/**
 * How long after its expiry (counted from when nats.js sent it) a pull request that the server
 * has neither completed nor ended counts as over, and its loop pulls again (see start()). The
 * server answers an expiry with a 408 at once; the margin covers the time a request takes to reach
 * it and the answer to come back.
 */
const FETCH_GRACE_MS = 500;

/**
 * Runs one durable pull consumer: decode + validate → transaction { inbox insert (duplicates
 * skipped) → handler → outbox } → commit → ack. Transient failures are nak'd with growing,
 * jittered delay; undecodable messages, unknown versions, `PermanentError`s and messages out of
 * attempts go to the dead-letter stream, then are acked.
 */
export function createConsumerRunner<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: ConsumerRunnerOptions<TSchema>,
): ConsumerRunner {
  const {
    nc,
    pool,
    source,
    name,
    stream,
    filterSubject,
    namespace,
    handler,
    mode = 'batch',
    batchSize = 100,
    concurrency = 1,
    lingerMs = 0,
    maxAckPending = 1000,
    ackWaitMs = 30_000,
    maxAttempts = 10,
    retry = defaultRetryPolicy,
    waitRetry = defaultWaitPolicy,
    stopTimeoutMs = 10_000,
    fetchExpiresMs = 2000,
    pullLoops = 4,
    clock = () => new Date(),
    random = Math.random,
    logger = silentLogger,
    metrics = noopMetrics,
  } = options;
  const js = jetstream(nc);
  const queue: JsMsg[] = [];
  /** When each queued message reached this process (for `metrics.taken`'s split of the lag). */
  const receivedAt = new WeakMap<JsMsg, number>();
  let started = false;
  let pump: Promise<void> | undefined;
  let workers: Promise<void> | undefined;
  let stopping = false;
  let stopDeadline = Infinity;
  let wakers: (() => void)[] = [];
  /** Orders (subject's last token) whose messages a worker is running, so no other takes them. */
  const busy = new Set<string>();
  const keyOf = (m: JsMsg) => m.subject.slice(m.subject.lastIndexOf('.') + 1);
  const spaceWaiters: (() => void)[] = [];
  /** Fetches whose pull requests were over but which nats.js still keeps open (see start()). */
  const abandoned = new Set<Promise<void>>();
  const makeSpace = () => {
    for (const w of spaceWaiters.splice(0)) w();
  };
  // Local buffer bound: the pump stops taking from the iterator at this depth, so the client
  // stops pulling and undelivered messages stay on the server for other replicas. It is also
  // each pull request's size, so it is never tiny: with one message per transaction, pull
  // requests of two messages meant a new request (and subscription) for every other message.
  const highWater = Math.max(16, (mode === 'batch' ? batchSize : 1) * 2);
  /**
   * With `reads`, a lone event goes to the batch handler too (its reads travel with `begin`, so it
   * costs two round trips like any batch); if it fails, it runs again through the single-event
   * handler, which settles it.
   */
  const loneToBatch = options.batchHandler !== undefined && options.reads !== undefined;

  function signal(): void {
    const w = wakers;
    wakers = [];
    for (const wake of w) wake();
  }

  /**
   * Takes up to `n` messages from the queue, in order, skipping those of orders another worker
   * is running (they stay, in order, for later), and marks their orders busy.
   */
  function take(n: number): JsMsg[] {
    if (concurrency === 1) return queue.splice(0, n);
    const taken: JsMsg[] = [];
    const rest: JsMsg[] = [];
    for (const m of queue) (taken.length < n && !busy.has(keyOf(m)) ? taken : rest).push(m);
    queue.splice(0, queue.length, ...rest);
    for (const m of taken) busy.add(keyOf(m));
    return taken;
  }

  async function deadLetter(msg: JsMsg, reason: DeadLetterReason, error: unknown, started: number): Promise<void> {
    try {
      await publishDeadLetter(js, msg, { consumer: name, reason, error, namespace });
      msg.ack();
      metrics.consumed(name, 'dead_lettered', (performance.now() - started) / 1000);
      logger.error({ err: error, reason, subject: msg.subject, seq: msg.info.streamSequence }, `${name}: message dead-lettered`);
    } catch (err) {
      logger.error({ err }, `${name}: dead-letter publish failed; message will be redelivered`);
      msg.nak(retryDelay(msg.info.deliveryCount, retry, random));
    }
  }

  /** The context a message's handling runs in: its events inherit its correlation, and it causes them. */
  function contextOf({ event, msg }: Item) {
    return {
      correlationId: event.correlationId,
      causationId: event.id,
      eventId: event.id,
      traceparent: childTraceparent(msg.headers?.get('traceparent') || undefined),
    };
  }

  /**
   * The transaction part (`runParts`) of `items`: their inbox rows, the consumer's `reads`, and
   * their handling once the inbox has told the fresh ones apart.
   */
  function partOf(items: readonly Item[], state: { current?: Item }, alone: boolean): TransactionPart {
    const batchHandler = alone ? undefined : options.batchHandler;
    return {
      consumer: name,
      ids: [...new Set(items.map((i) => i.event.id.toLowerCase()))],
      keys: [...new Set(items.map((i) => keyOf(i.msg)))],
      reads: batchHandler && options.reads ? options.reads(items.map((i) => i.event)) : [],
      async work({ client, fresh: freshIds, read }) {
        const tx = drizzleOn(client);
        const records: OutboxRecord[] = [];
        const writes: ParameterizedQuery[] = [];
        const forget: string[] = [];
        const fresh: Item[] = [];
        for (const item of items) {
          // Not fresh: handled by an earlier delivery (or earlier in this batch). Skip, then ack.
          if (freshIds.delete(item.event.id.toLowerCase())) fresh.push(item);
          else item.outcome = 'duplicate';
        }
        if (batchHandler && fresh.length >= (loneToBatch ? 1 : 2)) {
          const now = clock();
          const results = await batchHandler(
            fresh.map((i) => i.event),
            { tx, now, log: logger, read, atCommit: (query) => void writes.push(query) },
          );
          if (results.length !== fresh.length) throw new Error(`${name}: batch handler returned ${results.length} results for ${fresh.length} events`);
          fresh.forEach((item, k) => {
            const result = results[k]!;
            if (isEventFailure(result)) {
              item.failure = { error: result.failed };
              forget.push(item.event.id.toLowerCase());
              return;
            }
            if (result.length > 0) runWithContext(contextOf(item), () => records.push(...toOutboxRecords(result, { source, now }).records));
            item.outcome = 'processed';
          });
        } else {
          for (const item of fresh) {
            const { event, msg } = item;
            const now = clock();
            state.current = item;
            await runWithContext(contextOf(item), async () => {
              const drafts = await handler(event, {
                tx,
                now,
                log: logger,
                deliveryCount: msg.info.deliveryCount,
                working: () => msg.working(),
              });
              if (drafts.length > 0) records.push(...toOutboxRecords(drafts, { source, now }).records);
            });
            state.current = undefined;
            item.outcome = 'processed';
          }
        }
        return { writes, records, forget };
      },
    };
  }

  /** Undoes what a rolled-back transaction's handling recorded on its items. */
  function forgetOutcomes(items: readonly Item[]): void {
    for (const item of items) {
      delete item.outcome;
      delete item.failure;
    }
  }

  /**
   * `state.current` is the item whose handler was running when the transaction failed, if any.
   * `alone`: a message that failed in a batch, run on its own through the single-event handler.
   * With `sharing`, a batch joins the transaction of the service's other consumers (a message run
   * alone never does); if that transaction fails, the batch runs again in one of its own, so a
   * failure is settled where it belongs.
   * Returns the committed outbox rows, for `publishCommitted` once the messages are acked.
   */
  async function runTransaction(items: readonly Item[], state: { current?: Item } = {}, alone = false): Promise<CommittedOutboxRow[]> {
    const part = partOf(items, state, alone);
    try {
      if (options.sharing && !alone) {
        try {
          return await options.sharing.run(part);
        } catch (err) {
          if (!isSharedTransactionError(err)) throw err;
          logger.debug({ err, size: items.length }, `${name}: shared transaction failed; running the batch in one of its own`);
          forgetOutcomes(items);
          delete state.current;
        }
      }
      return (await runParts(pool, [part]))[0]!;
    } catch (err) {
      forgetOutcomes(items);
      throw err;
    }
  }

  /**
   * The write-only fast path (see `writeOnly`): the whole batch in one round trip, or with
   * `sharing` in the transaction of the service's other consumers. Returns false, having done
   * nothing, when some event of the batch is not write-only.
   */
  async function runWriteOnly(items: readonly Item[]): Promise<boolean> {
    if (!options.writeOnly) return false;
    const now = clock();
    const writes: Write[] = [];
    for (const item of items) {
      const w = options.writeOnly(item.event, now);
      if (w === undefined) return false;
      writes.push(...w);
    }
    const ids = [...new Set(items.map((i) => i.event.id.toLowerCase()))];
    const statements = mergeWrites(writes);
    const settle = (fresh: Set<string>) => {
      for (const item of items) item.outcome = fresh.delete(item.event.id.toLowerCase()) ? 'processed' : 'duplicate';
    };
    if (options.sharing) {
      try {
        await options.sharing.run({
          consumer: name,
          ids,
          keys: [...new Set(items.map((i) => keyOf(i.msg)))],
          reads: [],
          work: async ({ fresh }) => {
            settle(fresh);
            return { writes: statements, records: [], forget: [] };
          },
        });
      } catch (err) {
        forgetOutcomes(items);
        throw err;
      }
      return true;
    }
    const results = await queryInOneRoundTrip(pool, (client) => [inboxInsertQuery(name, ids), ...statements].map((q) => statementText(client, q)));
    settle(new Set((results[1]!.rows as { event_id: string }[]).map((r) => r.event_id)));
    return true;
  }

  function ackAll(items: readonly Item[], started: number): void {
    const seconds = (performance.now() - started) / 1000;
    for (const item of items) {
      item.msg.ack();
      metrics.consumed(name, item.outcome ?? 'processed', seconds);
      const { event } = item;
      // One line per event handled, with the ids that let one order be followed across services.
      logger.debug(
        { eventId: event.id, type: event.type, orderId: event.orderId, correlationId: event.correlationId, causationId: event.causationId, outcome: item.outcome },
        `${name}: ${event.type} ${item.outcome ?? 'processed'}`,
      );
    }
  }

  /** What happens to a message whose transaction failed: redelivery later, or the dead letters. */
  async function settleFailure(item: Item, err: unknown, started: number): Promise<void> {
    const deliveries = item.msg.info.deliveryCount;
    if (isPermanentError(err)) return deadLetter(item.msg, 'permanent', err, started);
    // Waiting on the database, the network or another event: retry for as long as it takes.
    const notReady = isNotReadyError(err);
    const waiting = notReady || isInfrastructureError(err);
    if (!waiting && deliveries >= maxAttempts) return deadLetter(item.msg, 'exhausted', err, started);
    const delay = retryDelay(deliveries, waiting ? waitRetry : retry, random);
    if (notReady) logger.debug({ err, deliveries, delayMs: delay, eventId: item.event.id }, `${name}: not ready; will retry`);
    else logger.warn({ err, deliveries, delayMs: delay, eventId: item.event.id }, `${name}: handler failed; will retry`);
    item.msg.nak(delay);
    metrics.consumed(name, 'retried', (performance.now() - started) / 1000);
  }

  async function runOne(item: Item): Promise<void> {
    const started = performance.now();
    try {
      const committed = await runTransaction([item], {}, true);
      await options.faults?.beforeAck?.();
      ackAll([item], started);
      publishCommitted(committed);
    } catch (err) {
      await settleFailure(item, err, started);
    }
  }

  /**
   * Hands committed outbox rows to `onCommitted`, in the same tick as the acks before it: the
   * relay's publishes and the acks then leave in one socket write (nats.js flushes what a tick
   * queued). Publishing after the ack loses nothing: the rows are committed, and a crash in
   * between leaves them to the relay's polling pass.
   */
  function publishCommitted(rows: readonly CommittedOutboxRow[]): void {
    if (rows.length > 0) options.onCommitted?.(rows);
  }

  const accepted = options.types ? new Set(options.types) : undefined;

  /**
   * Drizzle bound to one pooled connection, made once per connection: `drizzle()` builds the
   * schema's relational config every time it is called, which showed in every service's profile.
   */
  const drizzles = new WeakMap<pg.PoolClient, NodePgDatabase<TSchema>>();
  function drizzleOn(client: pg.PoolClient): NodePgDatabase<TSchema> {
    let db = drizzles.get(client);
    if (db === undefined) {
      db = drizzle({ client, schema: options.schema ?? ({} as TSchema) });
      drizzles.set(client, db);
    }
    return db;
  }

  async function processBatch(msgs: readonly JsMsg[]): Promise<void> {
    const started = performance.now();
    const takenAt = Date.now();
    const items: Item[] = [];
    for (const msg of msgs) {
      const lag = Math.max(0, takenAt - msg.info.timestampNanos / 1e6);
      metrics.taken(name, lag / 1000, Math.min(lag, Math.max(0, takenAt - (receivedAt.get(msg) ?? takenAt))) / 1000);
      if (accepted && !accepted.has(typeOfSubject(msg.subject, namespace))) {
        msg.ack();
        metrics.consumed(name, 'ignored', 0);
        continue;
      }
      try {
        items.push({ msg, event: decodeEvent(msg.data) });
      } catch (err) {
        const reason: DeadLetterReason =
          isEventDecodeError(err) && err.failure === 'UNKNOWN_VERSION' ? 'unknown_version' : 'undecodable';
        await deadLetter(msg, reason, err, started);
      }
    }
    if (items.length === 0) return;
    if (mode === 'batch' && options.writeOnly) {
      try {
        if (await runWriteOnly(items)) {
          await options.faults?.beforeAck?.();
          ackAll(items, started);
          return;
        }
      } catch (err) {
        // Rolled back; run the batch through the handler, which settles each message as usual.
        logger.debug({ err, size: items.length }, `${name}: write-only batch failed; running it through the handler`);
      }
    }
    let pending = items;
    while (mode === 'batch' && pending.length >= (loneToBatch ? 1 : 2)) {
      const state: { current?: Item } = {};
      try {
        const committed = await runTransaction(pending, state);
        await options.faults?.beforeAck?.();
        ackAll(
          pending.filter((i) => i.failure === undefined),
          started,
        );
        publishCommitted(committed);
        for (const item of pending) if (item.failure !== undefined) await settleFailure(item, item.failure.error, started);
        return;
      } catch (err) {
        // One bad message must not hold back the others. When a handler threw, that message is
        // settled (retried later or dead-lettered) and the rest run again as a batch; a failure
        // outside the handlers (inbox, outbox, commit) re-runs each message on its own.
        const culprit = state.current;
        if (culprit === undefined) {
          logger.debug({ err, size: pending.length }, `${name}: batch failed; retrying its messages one by one`);
          break;
        }
        pending = pending.filter((i) => i !== culprit);
        await settleFailure(culprit, err, started);
      }
    }
    for (const item of pending) await runOne(item);
  }

  async function work(): Promise<void> {
    /** When this worker's last transaction started (see `lingerMs`). */
    let lastStart = -Infinity;
    for (;;) {
      if (queue.length === 0) {
        if (stopping) return;
        await new Promise<void>((resolve) => wakers.push(resolve));
        continue;
      }
      const wait = lastStart + lingerMs - performance.now();
      if (mode === 'batch' && wait > 0 && queue.length < batchSize && !stopping) {
        await new Promise((r) => setTimeout(r, wait));
      }
      if (stopping && Date.now() > stopDeadline) {
        // Out of time: hand the rest back to the server at once, for another replica.
        for (const m of queue.splice(0)) m.nak();
        return;
      }
      const batch = take(mode === 'batch' ? batchSize : 1);
      if (batch.length === 0) {
        // Every queued message belongs to an order another worker is running: wait for it.
        await new Promise<void>((resolve) => wakers.push(resolve));
        continue;
      }
      lastStart = performance.now();
      makeSpace();
      // Keep the whole batch's ack timers fresh while the transaction runs.
      const heartbeat = setInterval(() => batch.forEach((m) => m.working()), Math.max(1000, ackWaitMs / 3));
      try {
        await processBatch(batch);
      } catch (err) {
        // processBatch handles per-message failures; reaching here is a bug. Let redelivery recover.
        logger.error({ err }, `${name}: unexpected failure processing a batch`);
      } finally {
        clearInterval(heartbeat);
        if (concurrency > 1) {
          for (const m of batch) busy.delete(keyOf(m));
          signal(); // their orders' next messages may go now
        }
      }
    }
  }

  return {
    name,
    async start() {
      if (started) return;
      const jsm = await jetstreamManager(nc);
      const provision = async () => {
        await ensureConsumer(jsm, { stream, name, filterSubject, maxAckPending, ackWaitMs });
        return js.consumers.get(stream, name);
      };
      let consumer = await provision();
      stopping = false;
      // Pull with fetch() rather than consume(): on stop we let the open requests run out
      // (≤ fetchExpiresMs) and handle what they deliver. Closing a consume() subscription drops
      // a message already on its way, which then sits unacked until ack_wait.
      // Several pull loops, each with a request open, started a fraction of fetchExpiresMs apart
      // and each request's expiry drawn anew (±25%), so they stay apart: a request the server
      // drops leaves the others being served. nats-server 2.9 drops some under load, which was
      // the cause of the ~2 s stalls of one hop in the benchmark:
      // - A request that expires while the consumer delivers ends with a 408 that nats.js
      //   ignores (see requestOver).
      // - Now and then a request expires with no word at all: no 408, no heartbeat. Its fetch
      //   stays open until two heartbeats are missed, 2 s or more later; once the loops had
      //   fallen into step, all their requests went at once and the consumer stalled. So a
      //   request also counts as over FETCH_GRACE_MS after its expiry, whatever the server said.
      // When a request is over, its loop pulls again at once, and the old fetch keeps listening
      // until nats.js ends it: a message still on its way to it is handled, not left unacked for
      // ack_wait (ending the fetch did that, when the server had the request later than we think).
      /** Takes the messages of one fetch into the queue until the fetch ends. */
      const drain = async (batch: ConsumerMessages) => {
        for await (const m of batch) {
          receivedAt.set(m, Date.now());
          queue.push(m);
          signal();
          if (queue.length >= highWater && !stopping) {
            const blockedAt = performance.now();
            await new Promise<void>((resolve) => {
              spaceWaiters.push(resolve);
            });
            metrics.pullBlocked(name, (performance.now() - blockedAt) / 1000);
          }
        }
      };
      const pullLoop = async (k: number) => {
        await new Promise((r) => setTimeout(r, (k * fetchExpiresMs) / pullLoops));
        let failures = 0;
        while (!stopping) {
          try {
            const expires = Math.max(1000, Math.round(fetchExpiresMs * (0.75 + 0.5 * random())));
            const batch: ConsumerMessages = await consumer.fetch({ max_messages: highWater, expires });
            // (Watching first: the request goes out, with its "next" notification, when the
            // drain starts iterating.)
            const over = requestOver(batch, expires).then((why) => why ?? ('ended' as const));
            const drained = drain(batch).then(() => 'ended' as const);
            const first = await Promise.race([drained, over]);
            if (first !== 'ended') {
              // The server is done with the request, but the fetch still listens: it goes on
              // taking whatever still comes to it (so nothing on its way is dropped) until
              // nats.js ends it, while this loop pulls again at once.
              logger.debug({ consumer: name, expires }, `${name}: pull request ${first}; pulling again`);
              const left = drained.then(
                () => undefined,
                (err: unknown) => logger.debug({ err }, `${name}: a fetch whose request was over has ended`),
              );
              abandoned.add(left);
              void left.finally(() => abandoned.delete(left));
              failures = 0;
              continue;
            }
            await drained;
            failures = 0;
          } catch (err) {
            // Never give up pulling: a lost connection, a missed heartbeat or a consumer that
            // vanished (deleted, or the server lost its state) must not stop this service.
            failures += 1;
            // A pull request the server dropped (see above) can still end in "heartbeats missed"
            // (2 × expires/2) before its deadline: the first time, pull again at once.
            if (failures === 1 && isHeartbeatsMissed(err)) {
              logger.info({ err }, `${name}: pull request lost; pulling again`);
              continue;
            }
            logger.warn({ err, failures }, `${name}: fetch failed; retrying`);
            await new Promise((r) => setTimeout(r, Math.min(5000, 125 * 2 ** Math.min(failures, 6))));
            if (stopping) break;
            consumer = await provision().catch((e: unknown) => {
              logger.warn({ err: e }, `${name}: cannot provision the consumer yet`);
              return consumer;
            });
          }
        }
      };
      pump = Promise.all(Array.from({ length: pullLoops }, (_, k) => pullLoop(k)))
        .then(() => undefined)
        .catch((err: unknown) => logger.error({ err }, `${name}: fetch loop ended`));
      started = true;
      workers = Promise.all(Array.from({ length: concurrency }, () => work())).then(() => undefined);
      logger.info({ consumer: name, stream, filterSubject, mode }, 'consumer started');
    },
    async stop() {
      if (!started) return;
      stopping = true;
      stopDeadline = Date.now() + stopTimeoutMs;
      makeSpace();
      await pump;
      // Fetches whose requests were over end by themselves (at the latest when nats.js misses
      // their heartbeats); what reaches them meanwhile is handled like the rest.
      await Promise.all(abandoned);
      signal();
      await workers;
      // Only after a stop timeout: hand back what was never started, for another replica.
      for (const m of queue.splice(0)) m.nak();
      started = false;
      logger.info({ consumer: name }, 'consumer stopped');
    },
  };
}

/**
 * Resolves with the reason once the pull request of the fetch `batch` is over although nats.js
 * would keep waiting for it (see start()); with `undefined` when the fetch ends first.
 * - A 408 without the pending counts (`Nats-Pending-Messages`), which nats.js ignores: nats-server
 *   2.9 sends one for a request that expires while the consumer is delivering. A fetch has its own
 *   inbox and one request, so a 408 there means the request is gone.
 * - `FETCH_GRACE_MS` after the request's expiry, counted from when nats.js sent it, whatever the
 *   server said: nats-server 2.9 now and then drops an expired request without a word.
 */
function requestOver(batch: ConsumerMessages, expiresMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const over = (why: string | undefined) => {
      clearTimeout(deadline);
      resolve(why);
    };
    void (async () => {
      for await (const s of batch.status()) {
        if (s.type === 'next') {
          clearTimeout(deadline);
          deadline = setTimeout(() => over('neither served nor ended by its expiry'), expiresMs + FETCH_GRACE_MS);
        } else if (s.type === 'debug' && s.code === 408) {
          return over('timed out without its pending count');
        }
      }
      over(undefined);
    })();
  });
}

function isHeartbeatsMissed(err: unknown): boolean {
  return err instanceof Error && err.message.includes('heartbeats missed');
}
