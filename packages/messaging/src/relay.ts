import type pg from 'pg';
import type { NatsConnection } from '@nats-io/transport-node';
import { silentLogger, type Logger } from './logger.js';
import type { CommittedOutboxRow } from './outbox.js';
import { noopMetrics, type MessagingMetrics } from './metrics.js';
import { withTransactionClient } from './transaction-client.js';
import { createPubAckPublisher, type PubAckPublisher } from './pub-acks.js';

/** Options of the outbox relay. */
export interface OutboxRelayOptions {
  /** The service's pool; a pass borrows one connection for its claim transaction. */
  readonly pool: pg.Pool;
  /** Publishes go to JetStream over this connection (see `createPubAckPublisher`). */
  readonly nc: NatsConnection;
  /** Subject prefix (see contracts `Namespace`); empty in production. */
  readonly namespace?: string;
  /** Rows claimed and published (pipelined) per pass. */
  readonly batchSize?: number;
  /** Interval of the polling pass, which picks up rows the fast path did not publish. */
  readonly pollIntervalMs?: number;
  /** How long one publish may wait for its PubAck. */
  readonly publishTimeoutMs?: number;
  /** Inbox rows are kept this long; must exceed the longest redelivery horizon. */
  readonly inboxRetentionMs?: number;
  readonly pruneIntervalMs?: number;
  readonly logger?: Logger;
  readonly metrics?: MessagingMetrics;
  /**
   * The polling passes leave alone rows younger than this, because their writers hand them to
   * `publishCommitted` (a pass would publish them a second time). 0 (default): every unpublished
   * row. Set it when every writer hands its rows over; explicit `runOnce()`/`flush()` ignore it.
   */
  readonly claimGraceMs?: number;
  /**
   * Fast path: how long rows published by `publishCommitted` wait to be deleted, so that one
   * statement deletes everything published in that window (default 50 ms). Each delete is a round
   * trip and a Postgres write; under load this turns one per writer transaction into a few per
   * second. A crash inside the window leaves the rows to a polling pass, which re-publishes them
   * after `claimGraceMs` (JetStream drops the copies by Nats-Msg-Id). 0: delete at once.
   */
  readonly deleteDelayMs?: number;
  /** Fault injection for crash tests: runs after the PubAcks and before the rows are deleted. */
  readonly faults?: { readonly beforeDelete?: () => void | Promise<void> };
}

export interface OutboxRelay {
  /** Starts the background loop (idempotent). */
  start(): Promise<void>;
  /** Stops after the current pass; rows claimed but not acked stay unpublished and are retried later. */
  stop(): Promise<void>;
  /**
   * Publishes rows their writer has just committed (from `collectOutbox` or the consumer runner's
   * `onCommitted`), all at once, and deletes the acknowledged ones with one statement per round.
   * Never throws and never waits: a row that fails stays in the outbox for the polling passes.
   * This is the fast path; the passes are the safety net.
   */
  publishCommitted(rows: readonly CommittedOutboxRow[]): void;
  /** One claim-publish-delete pass over the outbox; returns the number of rows claimed. */
  runOnce(): Promise<number>;
  /** Runs passes until the outbox is empty (tests, benchmarks, shutdown). */
  flush(timeoutMs?: number): Promise<void>;
  /** Deletes inbox rows older than their retention. */
  prune(): Promise<{ inbox: number }>;
}

interface ClaimedRow {
  seq: string;
  id: string;
  subject: string;
  payload: string;
  headers: Record<string, string>;
}

const CLAIM = {
  name: 'messaging-outbox-claim',
  // SKIP LOCKED: several relays (replicas) claim disjoint rows; a crashed relay's locks vanish
  // with its connection and its rows are claimed again (and de-duplicated by Nats-Msg-Id).
  // $2: rows younger than this many ms are left to the fast path of their writer.
  text: `select seq, id, subject, payload, headers from messaging_outbox
         where created_at <= now() - $2 * interval '1 millisecond'
         order by seq limit $1 for update skip locked`,
};
/** A published row leaves the outbox: its PubAck is in, and the stream is the record of it. */
const DELETE_PUBLISHED = {
  name: 'messaging-outbox-delete-published',
  text: 'delete from messaging_outbox where seq = any($1::bigint[])',
};

/**
 * Publishes the outbox to JetStream. Each pass claims up to `batchSize` unpublished rows in a
 * transaction (`FOR UPDATE SKIP LOCKED`), publishes them all at once (many PubAcks in flight)
 * with `Nats-Msg-Id = event id`, and deletes only the rows whose PubAck arrived.
 * Delivery is at-least-once; the stream's duplicate window and the consumers' inbox make the
 * effect exactly-once. While NATS is down rows stay in the outbox and passes back off.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const {
    pool,
    nc,
    namespace = '',
    batchSize = 1000,
    pollIntervalMs = 1000,
    publishTimeoutMs = 5000,
    inboxRetentionMs = 7 * 24 * 3600_000,
    pruneIntervalMs = 60_000,
    logger = silentLogger,
    metrics = noopMetrics,
    claimGraceMs = 0,
    deleteDelayMs = 50,
  } = options;
  const prefix = namespace ? `${namespace}.` : '';

  let running = false;
  let loopDone: Promise<void> | undefined;
  let wakeResolve: (() => void) | undefined;
  let wakePending = false;
  let lastPrune = Date.now();

  function wake(): void {
    wakePending = true;
    wakeResolve?.();
  }

  function sleep(ms: number): Promise<void> {
    if (wakePending) {
      wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeResolve = undefined;
        wakePending = false;
        resolve();
      }
      wakeResolve = done;
    });
  }

  // Created on the first publish, closed by stop() once nothing is in flight.
  let publisher: PubAckPublisher | undefined;

  async function publishRow(row: ClaimedRow): Promise<void> {
    publisher ??= createPubAckPublisher(nc, { timeoutMs: publishTimeoutMs });
    await publisher.publish(prefix + row.subject, Buffer.from(row.payload, 'utf8'), row.id, row.headers);
  }

  /** Publishes every row at once (many PubAcks in flight); returns the seqs that were and were not acknowledged. */
  async function publishAll(rows: readonly (ClaimedRow | CommittedOutboxRow)[]): Promise<{ ok: string[]; failed: string[]; firstError: unknown }> {
    const results = await Promise.allSettled(rows.map(publishRow));
    const ok: string[] = [];
    const failed: string[] = [];
    let firstError: unknown;
    results.forEach((r, i) => {
      const seq = rows[i]!.seq;
      if (r.status === 'fulfilled') ok.push(seq);
      else {
        failed.push(seq);
        firstError ??= r.reason;
      }
    });
    return { ok, failed, firstError };
  }

  // --- fast path: rows handed over by their writers right after commit --------------------
  const inFlight = new Set<Promise<void>>();
  let toDelete: string[] = [];
  let deleting: Promise<void> | undefined;

  async function deleteLoop(): Promise<void> {
    while (toDelete.length > 0) {
      // Let the rows other writers publish meanwhile join this delete.
      if (deleteDelayMs > 0) await new Promise((r) => setTimeout(r, deleteDelayMs));
      const seqs = toDelete;
      toDelete = [];
      try {
        await pool.query({ ...DELETE_PUBLISHED, values: [seqs] });
        metrics.relayPublished(seqs.length);
      } catch (err) {
        // Published but still in the outbox: a polling pass publishes them again after the grace
        // period, and JetStream drops the copies (same Nats-Msg-Id).
        logger.warn({ err, rows: seqs.length }, 'outbox relay: deleting published rows failed; the next pass re-publishes them');
      }
    }
  }

  function publishCommitted(rows: readonly CommittedOutboxRow[]): void {
    if (rows.length === 0) return;
    const p = (async () => {
      const { ok, failed, firstError } = await publishAll(rows);
      toDelete.push(...ok);
      if (failed.length > 0) {
        metrics.relayFailed(failed.length);
        logger.warn({ err: firstError, failed: failed.length }, 'outbox relay: publishing committed rows failed; they stay for the next pass');
      }
      deleting ??= deleteLoop().finally(() => {
        deleting = undefined;
      });
      await deleting;
    })()
      .catch((err: unknown) => logger.error({ err }, 'outbox relay: fast path failed; the rows stay for the next pass'))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  async function runOnce(graceMs = 0): Promise<number> {
    // If the connection breaks, the locks are gone with it, and the deletes of this pass roll
    // back: its rows are published again by the next pass, which JetStream de-duplicates by
    // Nats-Msg-Id.
    return withTransactionClient(pool, async (client) => {
      await client.query('begin');
      const { rows } = await client.query<ClaimedRow>({ ...CLAIM, values: [batchSize, graceMs] });
      if (rows.length === 0) {
        await client.query('commit');
        metrics.outboxBacklog(0);
        return 0;
      }
      const { ok, failed, firstError } = await publishAll(rows);
      await options.faults?.beforeDelete?.();
      if (ok.length > 0) await client.query({ ...DELETE_PUBLISHED, values: [ok] });
      if (failed.length > 0) {
        await client.query(
          'update messaging_outbox set attempts = attempts + 1, last_error = $2 where seq = any($1::bigint[])',
          [failed, String((firstError as Error)?.message ?? firstError).slice(0, 500)],
        );
      }
      await client.query('commit');
      metrics.relayPublished(ok.length);
      metrics.outboxBacklog(rows.length === batchSize ? rows.length : failed.length);
      if (failed.length > 0) {
        metrics.relayFailed(failed.length);
        throw new Error(`relay: ${failed.length} of ${rows.length} publishes failed`, { cause: firstError });
      }
      return rows.length;
    });
  }

  async function prune(): Promise<{ inbox: number }> {
    const i = await pool.query(
      `delete from messaging_inbox where ctid in (select ctid from messaging_inbox
         where processed_at < now() - $1 * interval '1 millisecond' limit 10000)`,
      [inboxRetentionMs],
    );
    return { inbox: i.rowCount ?? 0 };
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (running) {
      let claimed = 0;
      try {
        claimed = await runOnce(claimGraceMs);
        failures = 0;
      } catch (err) {
        failures += 1;
        logger.warn({ err, failures }, 'outbox relay pass failed; rows stay in the outbox');
      }
      if (!running) break;
      if (Date.now() - lastPrune > pruneIntervalMs) {
        lastPrune = Date.now();
        await prune().catch((err: unknown) => logger.warn({ err }, 'outbox prune failed'));
      }
      if (failures === 0 && claimed >= batchSize) continue;
      await sleep(failures > 0 ? Math.min(10_000, 100 * 2 ** failures) : pollIntervalMs);
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      loopDone = loop();
    },
    async stop() {
      if (!running) return;
      running = false;
      wake();
      await loopDone;
      // Let the fast path finish what it has started (its publishes time out on their own).
      while (inFlight.size > 0) await Promise.all(inFlight);
      publisher?.close();
      publisher = undefined;
    },
    publishCommitted,
    runOnce: () => runOnce(0),
    prune,
    async flush(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await pool.query<{ n: number }>(
          'select count(*)::int as n from messaging_outbox',
        );
        if ((rows[0]?.n ?? 0) === 0) return;
        if (Date.now() > deadline) throw new Error(`outbox flush: ${rows[0]?.n} rows still unpublished`);
        await runOnce().catch(() => new Promise((r) => setTimeout(r, 100)));
      }
    },
  };
}
