import { desc, eq, sql, type SQL } from 'drizzle-orm';
import { arrayParam, type OrderStatesRead } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { DispatchState } from '../domain/shipment.js';
import { cancelledOrders, shipments, shippingOrders, waitingPayments, type ShippingSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the shipping schema. */
export type ShippingTx = NodePgDatabase<ShippingSchema>;

export type Shipment = typeof shipments.$inferSelect;
export type ShippingOrder = typeof shippingOrders.$inferSelect;
export type NewShipment = typeof shipments.$inferInsert & { createdAt: Date };
export type WaitingPayment = typeof waitingPayments.$inferSelect;
export type Outcome = { orderId: string; outcome: 'SCHEDULED' | 'FAILED'; failureReason: string | null };

/** The statement of `dispatchStates`; `dispatchStatesOf` reads its rows. */
function dispatchStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      so.country, so.outcome is not null as decided
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)
    left join ${shippingOrders} so on so.order_id = o.id`;
}

function dispatchStatesOf(rows: readonly Record<string, unknown>[]): (DispatchState & { orderId: string })[] {
  return (rows as readonly { order_id: string; cancelled: boolean; country: string | null; decided: boolean }[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    country: r.country ?? undefined,
    decided: r.decided,
  }));
}

/**
 * What shipping knows of each order (`decideDispatch`'s input), in one statement: its tombstone,
 * the country from `order.placed` (none while that has not arrived), whether it was decided.
 * Read under the orders' locks.
 * (service-kit `lockAndReadOrders`, or its two round trips).
 */
export const dispatchStates: OrderStatesRead<DispatchState & { orderId: string }> = { statement: dispatchStatesStatement, statesOf: dispatchStatesOf };

/** Shipments, all in one statement; a conflict means a second dispatch: fail and roll back. */
export function insertShipmentsStatement(rows: readonly NewShipment[]): SQL {
  return sql`
    insert into ${shipments} (shipment_id, order_id, status, tracking_number, created_at)
    select * from unnest(${arrayParam(rows, (r) => r.shipmentId)}::uuid[], ${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.status)}::text[],
                         ${arrayParam(rows, (r) => r.trackingNumber)}::text[], ${arrayParam(rows, (r) => r.createdAt.toISOString())}::timestamptz[])`;
}

/**
 * Sets each order's one outcome, all in one statement. Guarded by `outcome is null` so that,
 * should the lock ever be bypassed, a second decision cannot overwrite the first.
 */
export function recordOutcomesStatement(rows: readonly Outcome[], at: Date): SQL {
  return sql`
    update ${shippingOrders} as so set outcome = u.outcome, failure_reason = u.failure_reason, decided_at = ${at.toISOString()}::timestamptz
    from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.outcome)}::text[], ${arrayParam(rows, (r) => r.failureReason)}::text[])
      as u(order_id, outcome, failure_reason)
    where so.order_id = u.order_id and so.outcome is null`;
}

/** Records the tombstone (idempotent) for a cancelled order. */
export async function markCancelled(tx: ShippingTx, orderId: string, at: Date): Promise<void> {
  await tx.insert(cancelledOrders).values({ orderId, cancelledAt: at }).onConflictDoNothing();
}

export async function isCancelled(tx: ShippingTx, orderId: string): Promise<boolean> {
  const [row] = await tx.select({ orderId: cancelledOrders.orderId }).from(cancelledOrders).where(eq(cancelledOrders.orderId, orderId));
  return row !== undefined;
}

/** What `order.placed` tells shipping (the outcome comes later). */
export type ShippingOrderRow = Pick<typeof shippingOrders.$inferInsert, 'orderId' | 'shippingAddress' | 'country'> & { receivedAt: Date };

/** Remembers where to ship, all rows in one statement; a second copy of `order.placed` changes nothing (nor resets `outcome`). */
export function insertShippingOrdersStatement(rows: readonly ShippingOrderRow[]): SQL {
  return sql`
    insert into ${shippingOrders} (order_id, shipping_address, country, received_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => JSON.stringify(r.shippingAddress))}::jsonb[],
                         ${arrayParam(rows, (r) => r.country)}::text[], ${arrayParam(rows, (r) => r.receivedAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

/** What shipping knows of an order when its `order.placed` arrives: tombstone, outcome, and a payment waiting for the address. */
export interface PlacedState {
  readonly orderId: string;
  readonly cancelled: boolean;
  readonly decided: boolean;
  /** The id of the `payment.authorized` that waited for the address. */
  readonly waitingEventId: string | undefined;
}

/** What shipping knows of each order of a batch of `order.placed`, in one statement; read under the orders' locks. */
function placedStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      coalesce(so.outcome is not null, false) as decided,
      w.event_id as waiting_event_id
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)
    left join ${shippingOrders} so on so.order_id = o.id
    left join ${waitingPayments} w on w.order_id = o.id`;
}

function placedStatesOf(rows: readonly Record<string, unknown>[]): PlacedState[] {
  return (rows as readonly { order_id: string; cancelled: boolean; decided: boolean; waiting_event_id: string | null }[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    decided: r.decided,
    waitingEventId: r.waiting_event_id ?? undefined,
  }));
}

/** What a batch of `order.placed` reads under the orders' locks (service-kit `lockAndReadOrders`, or its two round trips). */
export const placedStates: OrderStatesRead<PlacedState> = { statement: placedStatesStatement, statesOf: placedStatesOf };

/** Keeps payments that came before their order's address; one already waiting for an order stays. */
export function insertWaitingStatement(rows: readonly WaitingPayment[]): SQL {
  return sql`
    insert into ${waitingPayments} (order_id, event_id, received_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.eventId)}::uuid[], ${arrayParam(rows, (r) => r.receivedAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

/** Forgets the waiting payments of orders that were decided (or cancelled). */
export function deleteWaitingStatement(orderIds: readonly string[]): SQL {
  return sql`delete from ${waitingPayments} where order_id = any(${sql.param([...orderIds])}::uuid[])`;
}

export async function findShippingOrder(tx: ShippingTx, orderId: string): Promise<ShippingOrder | undefined> {
  const [row] = await tx.select().from(shippingOrders).where(eq(shippingOrders.orderId, orderId));
  return row;
}

/** The order's shipment (at most one), row-locked until commit. */
export async function findShipmentForUpdate(tx: ShippingTx, orderId: string): Promise<Shipment | undefined> {
  const [row] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId)).for('update');
  return row;
}

export async function markShipmentCancelled(tx: ShippingTx, shipmentId: string, at: Date): Promise<void> {
  await tx.update(shipments).set({ status: 'CANCELLED', cancelledAt: at }).where(eq(shipments.shipmentId, shipmentId));
}

/** Shipments of one order, or the latest `limit` of all; newest first. Failed attempts are not shipments. */
export async function listShipments(tx: ShippingTx, orderId: string | undefined, limit: number): Promise<Shipment[]> {
  const where = orderId === undefined ? undefined : eq(shipments.orderId, orderId);
  return tx.select().from(shipments).where(where).orderBy(desc(shipments.createdAt), desc(shipments.shipmentId)).limit(limit);
}
