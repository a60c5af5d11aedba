import { desc, eq, sql, type SQL } from 'drizzle-orm';
import { arrayParam, statementTemplate } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { DispatchState } from '../domain/shipment.js';
import { cancelledOrders, shipments, shippingOrders, type ShippingSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the shipping schema. */
export type ShippingTx = NodePgDatabase<ShippingSchema>;

export type Shipment = typeof shipments.$inferSelect;
export type ShippingOrder = typeof shippingOrders.$inferSelect;
export type NewShipment = typeof shipments.$inferInsert & { createdAt: Date };
export type Outcome = { orderId: string; outcome: 'SCHEDULED' | 'FAILED'; failureReason: string | null };

/**
 * What shipping knows of each order (`decideDispatch`'s input), in one statement: its tombstone,
 * the country from `order.placed` (none while that has not arrived), whether it was decided.
 * Read under the orders' locks.
 */
export async function dispatchStates(tx: ShippingTx, orderIds: readonly string[]): Promise<(DispatchState & { orderId: string })[]> {
  if (orderIds.length === 0) return [];
  return dispatchStatesOf((await tx.execute(dispatchStatesStatement(orderIds))).rows);
}

/** The statement of `dispatchStates`, not run (the consumer's `reads`); `dispatchStatesOf` reads its rows. */
export function dispatchStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      so.country, so.outcome is not null as decided
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)
    left join ${shippingOrders} so on so.order_id = o.id`;
}

export function dispatchStatesOf(rows: readonly Record<string, unknown>[]): (DispatchState & { orderId: string })[] {
  return (rows as readonly { order_id: string; cancelled: boolean; country: string | null; decided: boolean }[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    country: r.country ?? undefined,
    decided: r.decided,
  }));
}

/** Shipments, all in one statement; a conflict means a second dispatch: fail and roll back. */
export async function insertShipments(tx: ShippingTx, rows: readonly NewShipment[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(insertShipmentsStatement(rows));
}

/** The statement of `insertShipments`, not run (a batch handler's `atCommit`). */
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
export async function recordOutcomes(tx: ShippingTx, rows: readonly Outcome[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(recordOutcomesStatement(rows, at));
}

/** The statement of `recordOutcomes`, not run (a batch handler's `atCommit`). */
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

/** Remembers where to ship; a second copy of `order.placed` changes nothing (nor resets `outcome`). */
export async function insertShippingOrder(tx: ShippingTx, row: ShippingOrderRow): Promise<void> {
  await insertShippingOrderStatement(tx, row);
}

/** What `order.placed` tells shipping (the outcome comes later). */
type ShippingOrderRow = Pick<typeof shippingOrders.$inferInsert, 'orderId' | 'shippingAddress' | 'country'> & { receivedAt: Date };

const insertShippingOrderStatement = (db: ShippingTx, row: ShippingOrderRow) => db.insert(shippingOrders).values(row).onConflictDoNothing();

/** The insert of `insertShippingOrder`, not yet run (the consumer runner's write-only path); built once. */
export const insertShippingOrderQuery = statementTemplate<ShippingTx, ShippingOrderRow>(['orderId', 'shippingAddress', 'country', 'receivedAt'], insertShippingOrderStatement);

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
