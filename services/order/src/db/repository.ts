import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { MergeableWrite } from '@orderflow/messaging';
import { arrayParam, renderSql, rowsOf } from '@orderflow/service-kit';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { CancellationReason } from '@orderflow/contracts';
import { orders, orderTimeline, type OrderSchema } from './schema.js';

/**
 * Anything that runs queries on the order schema: the pool-bound db, a `db.transaction` tx, or
 * the consumer runner's transaction-bound db (all are a `PgDatabase`).
 */
export type OrderTx = PgDatabase<NodePgQueryResultHKT, OrderSchema>;

export type Order = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;
export type TimelineEntry = { type: string; occurredAt: Date };
/** One row of the timeline as recorded (the fact is the key per order). */
export type TimelineRow = { orderId: string; fact: string; type: string; eventId: string; occurredAt: Date };

/** What `POST /orders` knows of a new order (the columns it leaves to their defaults are absent). */
export type NewOrderRow = Pick<
  NewOrder,
  'id' | 'status' | 'customerId' | 'customerEmail' | 'items' | 'shippingAddress' | 'correlationId' | 'idempotencyKey' | 'requestHash' | 'createdAt' | 'updatedAt'
>;

/**
 * The insert of a new order, not yet run (for `deps.commitAtOnce`), as rows to merge: the orders
 * of a group commit's callers go in one set-based statement.
 */
export function newOrderWrite(row: NewOrderRow): MergeableWrite<NewOrderRow> {
  return { key: 'orders', rows: [row], build: (rows) => renderSql(insertOrdersStatement(rows)) };
}

/** New orders, all in one statement. */
function insertOrdersStatement(rows: readonly NewOrderRow[]): SQL {
  const text = (pick: (r: NewOrderRow) => string | null | undefined) => arrayParam(rows, (r) => pick(r) ?? null);
  return sql`
    insert into ${orders} (id, status, customer_id, customer_email, items, shipping_address, correlation_id, idempotency_key, request_hash, created_at, updated_at)
    select * from unnest(${text((r) => r.id)}::uuid[], ${text((r) => r.status)}::text[], ${text((r) => r.customerId)}::text[], ${text((r) => r.customerEmail)}::text[],
                         ${text((r) => JSON.stringify(r.items))}::jsonb[], ${text((r) => JSON.stringify(r.shippingAddress))}::jsonb[], ${text((r) => r.correlationId)}::text[],
                         ${text((r) => r.idempotencyKey)}::text[], ${text((r) => r.requestHash)}::text[],
                         ${text((r) => r.createdAt.toISOString())}::timestamptz[], ${text((r) => r.updatedAt.toISOString())}::timestamptz[])`;
}

export async function findOrder(tx: OrderTx, id: string): Promise<Order | undefined> {
  return (await tx.select().from(orders).where(eq(orders.id, id)))[0];
}

/**
 * The order, row-locked until commit. Every status change goes through this lock, so a
 * customer's cancel and a participant's confirm of the same order serialize. FOR NO KEY UPDATE
 * (the key never changes): it does not block the key-share lock of a timeline insert's foreign
 * key check, which FOR UPDATE does — that pair deadlocked across two consumers' batches.
 */
export async function findOrderForUpdate(tx: OrderTx, id: string): Promise<Order | undefined> {
  return (await lockOrders(tx, [id]))[0];
}

/**
 * The orders, row-locked as `findOrderForUpdate` says, in id order: two transactions locking
 * overlapping sets wait for each other instead of deadlocking. Missing ids are simply absent.
 */
export async function lockOrders(tx: OrderTx, ids: readonly string[]): Promise<Order[]> {
  if (ids.length === 0) return [];
  return rowsOf(orders, (await tx.execute(lockOrdersStatement(ids))).rows);
}

/**
 * `lockOrders`' statement, not run (the consumers' `reads`), as plain SQL: its rows are pg's
 * `select *` rows, which service-kit `rowsOf(orders, rows)` turns into `Order`s.
 */
export function lockOrdersStatement(ids: readonly string[]): SQL {
  return sql`select * from ${orders} where ${orders.id} = any(${sql.param([...ids])}::uuid[]) order by ${orders.id} for no key update`;
}

/**
 * Writes the decided state (status, reason, amount, currency, tracking number, updated_at) of
 * orders the caller holds locked, all in one statement.
 */
export async function writeOrderStates(tx: OrderTx, rows: readonly Order[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(writeOrderStatesStatement(rows));
}

/** The statement of `writeOrderStates`, not run (a batch handler's `atCommit`). */
export function writeOrderStatesStatement(rows: readonly Order[]): SQL {
  return sql`
    update ${orders} as o set
      status = u.status, cancellation_reason = u.cancellation_reason, amount_cents = u.amount_cents,
      currency = u.currency, tracking_number = u.tracking_number, updated_at = u.updated_at
    from unnest(${arrayParam(rows, (o) => o.id)}::uuid[], ${arrayParam(rows, (o) => o.status)}::text[], ${arrayParam(rows, (o) => o.cancellationReason)}::text[],
                ${arrayParam(rows, (o) => o.amountCents)}::int[], ${arrayParam(rows, (o) => o.currency)}::text[], ${arrayParam(rows, (o) => o.trackingNumber)}::text[],
                ${arrayParam(rows, (o) => o.updatedAt.toISOString())}::timestamptz[])
      as u(id, status, cancellation_reason, amount_cents, currency, tracking_number, updated_at)
    where o.id = u.id`;
}

export async function findOrderByIdempotencyKey(tx: OrderTx, key: string): Promise<Order | undefined> {
  return (await tx.select().from(orders).where(eq(orders.idempotencyKey, key)))[0];
}

export async function markCancelled(tx: OrderTx, id: string, reason: CancellationReason, at: Date): Promise<void> {
  await tx.update(orders).set({ status: 'CANCELLED', cancellationReason: reason, updatedAt: at }).where(eq(orders.id, id));
}

/** Records one fact of the order's timeline; a second record of the same fact is a no-op. */
export async function recordTimeline(tx: OrderTx, entry: TimelineRow): Promise<void> {
  await tx.insert(orderTimeline).values(entry).onConflictDoNothing();
}

/** Timeline entries, all in one statement, recorded in the order given; facts already there are no-ops. */
export async function recordTimelineRows(tx: OrderTx, rows: readonly TimelineRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(recordTimelineRowsStatement(rows));
}

/** The statement of `recordTimelineRows`, not run (a batch handler's `atCommit`). */
export function recordTimelineRowsStatement(rows: readonly TimelineRow[]): SQL {
  return sql`
    insert into ${orderTimeline} (order_id, fact, type, event_id, occurred_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.fact)}::text[], ${arrayParam(rows, (r) => r.type)}::text[],
                         ${arrayParam(rows, (r) => r.eventId)}::uuid[], ${arrayParam(rows, (r) => r.occurredAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

/**
 * A timeline entry, not yet recorded (for `deps.commitAtOnce` and the write-only path), as rows
 * to merge: the entries of a group commit or of a write-only batch go in one statement.
 */
export function timelineWrite(row: TimelineRow): MergeableWrite<TimelineRow> {
  return { key: 'order_timeline', rows: [row], build: (rows) => renderSql(recordTimelineRowsStatement(rows)) };
}

/** The order's timeline, oldest first (ties in the order they were recorded). */
export async function listTimeline(tx: OrderTx, orderId: string): Promise<TimelineEntry[]> {
  return tx
    .select({ type: orderTimeline.type, occurredAt: orderTimeline.occurredAt })
    .from(orderTimeline)
    .where(eq(orderTimeline.orderId, orderId))
    .orderBy(asc(orderTimeline.occurredAt), asc(orderTimeline.seq));
}

/** Where a page of the list starts: strictly after this (createdAt, id), newest first. */
export interface ListPosition {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ListFilter {
  readonly customerId?: string | undefined;
  readonly status?: Order['status'] | undefined;
  readonly after?: ListPosition | undefined;
  readonly limit: number;
}

/** Orders newest first by keyset (created_at, id); returns at most `limit` rows. */
export async function listOrders(tx: OrderTx, filter: ListFilter): Promise<Order[]> {
  const conditions: SQL[] = [];
  if (filter.customerId !== undefined) conditions.push(eq(orders.customerId, filter.customerId));
  if (filter.status !== undefined) conditions.push(eq(orders.status, filter.status));
  if (filter.after !== undefined) {
    // Row comparison, so the (created_at desc, id desc) index serves it.
    conditions.push(sql`(${orders.createdAt}, ${orders.id}) < (${filter.after.createdAt.toISOString()}::timestamptz, ${filter.after.id}::uuid)`);
  }
  return tx
    .select()
    .from(orders)
    .where(and(...conditions))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(filter.limit);
}
