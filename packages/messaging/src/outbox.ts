import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'drizzle-orm';
import { createEvent, subjectFor, type AnyEventDraft, type DomainEvent, type ServiceName } from '@orderflow/contracts';
import { currentContext } from './context.js';
import type { SqlExecutor } from './db.js';
import { childTraceparent } from './trace.js';

/** How `enqueue` fills the envelope when the current context (HTTP request or handled message) does not. */
export interface EnqueueOptions {
  /** The emitting service (`source` of every envelope). */
  readonly source: ServiceName;
  /** Injected clock for `occurredAt`. */
  readonly now?: Date;
  /** Overrides the context's correlation id (e.g. a script with no request). */
  readonly correlationId?: string;
}

/** One outbox row as the relay publishes it. */
export interface OutboxRecord {
  readonly id: string;
  readonly subject: string;
  readonly payload: string;
  readonly headers: Record<string, string>;
}

/** An outbox row its writer has committed, with its sequence number: what the relay publishes at once. */
export interface CommittedOutboxRow extends OutboxRecord {
  readonly seq: string;
}

const committing = new AsyncLocalStorage<CommittedOutboxRow[]>();

/**
 * Runs `transaction` (one database transaction that may `enqueue`) and returns, with its result,
 * the outbox rows `enqueue` wrote in it. Only once `transaction` has resolved are they committed;
 * hand them to `relay.publishCommitted` to publish them at once instead of at the next poll.
 * If it throws, nothing is returned and nothing must be published.
 *
 * Hazard: only for one top-level transaction. Rows enqueued inside a nested transaction
 * (a savepoint) that rolls back would still be collected.
 */
export async function collectOutbox<T>(transaction: () => Promise<T>): Promise<{ result: T; rows: CommittedOutboxRow[] }> {
  const rows: CommittedOutboxRow[] = [];
  const result = await committing.run(rows, transaction);
  return { result, rows };
}

/**
 * Turns drafts into envelopes and rows, stamping correlation and causation from the current
 * context (set by the HTTP edge or the consumer runner) and a child `traceparent`.
 */
export function toOutboxRecords(
  drafts: readonly AnyEventDraft[],
  options: EnqueueOptions,
): { events: DomainEvent[]; records: OutboxRecord[] } {
  const ctx = currentContext();
  const correlationId = options.correlationId ?? ctx?.correlationId;
  const cause = ctx?.causationId && correlationId ? { id: ctx.causationId, correlationId } : undefined;
  const events: DomainEvent[] = [];
  const records: OutboxRecord[] = [];
  for (const draft of drafts) {
    const event = createEvent(draft, { source: options.source, cause, correlationId, now: options.now }) as DomainEvent;
    events.push(event);
    records.push(recordOf(event, childTraceparent(ctx?.traceparent)));
  }
  return { events, records };
}

/** The outbox row of a complete envelope. */
export function recordOf(event: DomainEvent, traceparent: string = childTraceparent()): OutboxRecord {
  return { id: event.id, subject: subjectFor(event), payload: JSON.stringify(event), headers: { traceparent } };
}

/**
 * Writes events to the outbox in the caller's transaction, so they are published if and only
 * if the transaction commits. Returns the envelopes written. The relay publishes them later,
 * at least once; JetStream de-duplicates on `Nats-Msg-Id = id` and consumers on the inbox.
 *
 * Hazard: call it with the transaction of the state change (`db.transaction(async (tx) => …)`),
 * never with the pool, or a crash between the two writes loses or invents an event.
 */
export async function enqueue(
  tx: SqlExecutor,
  drafts: readonly AnyEventDraft[],
  options: EnqueueOptions,
): Promise<DomainEvent[]> {
  if (drafts.length === 0) return [];
  const { events, records } = toOutboxRecords(drafts, options);
  const inserted = await tx.execute(insertOutboxSql(records));
  const collector = committing.getStore();
  if (collector) collector.push(...withSeqs(records, inserted.rows as { seq: string | number; id: string }[]));
  return events;
}

/** One multi-row insert for any number of rows (arrays travel as four parameters). */
export function insertOutboxSql(records: readonly OutboxRecord[]) {
  return sql`insert into messaging_outbox (id, subject, payload, headers)
    select * from unnest(
      ${sql.param(records.map((r) => r.id))}::uuid[],
      ${sql.param(records.map((r) => r.subject))}::text[],
      ${sql.param(records.map((r) => r.payload))}::text[],
      ${sql.param(records.map((r) => JSON.stringify(r.headers)))}::jsonb[])
    returning seq, id`;
}

/** Pairs records with the `seq` the insert returned for their `id`. */
export function withSeqs(records: readonly OutboxRecord[], inserted: readonly { seq: string | number; id: string }[]): CommittedOutboxRow[] {
  const seqOf = new Map(inserted.map((r) => [r.id.toLowerCase(), String(r.seq)]));
  return records.flatMap((r) => {
    const seq = seqOf.get(r.id.toLowerCase());
    return seq === undefined ? [] : [{ ...r, seq }];
  });
}

/** The same insert as raw text + values, for the consumer runner's pg client. */
export const INSERT_OUTBOX_TEXT = `insert into messaging_outbox (id, subject, payload, headers)
  select * from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) returning seq, id`;

export function insertOutboxValues(records: readonly OutboxRecord[]): unknown[] {
  return [
    records.map((r) => r.id),
    records.map((r) => r.subject),
    records.map((r) => r.payload),
    records.map((r) => JSON.stringify(r.headers)),
  ];
}
