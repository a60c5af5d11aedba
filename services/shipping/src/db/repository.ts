import { and, desc, eq, isNull } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { cancelledOrders, shipments, shippingOrders, type ShippingSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the shipping schema. */
export type ShippingTx = NodePgDatabase<ShippingSchema>;

export type Shipment = typeof shipments.$inferSelect;
export type ShippingOrder = typeof shippingOrders.$inferSelect;

/** Records the tombstone (idempotent) for a cancelled order. */
export async function markCancelled(tx: ShippingTx, orderId: string, at: Date): Promise<void> {
  await tx.insert(cancelledOrders).values({ orderId, cancelledAt: at }).onConflictDoNothing();
}

export async function isCancelled(tx: ShippingTx, orderId: string): Promise<boolean> {
  const [row] = await tx.select({ orderId: cancelledOrders.orderId }).from(cancelledOrders).where(eq(cancelledOrders.orderId, orderId));
  return row !== undefined;
}

/** Remembers where to ship; a second copy of `order.placed` changes nothing (nor resets `outcome`). */
export async function insertShippingOrder(tx: ShippingTx, row: typeof shippingOrders.$inferInsert): Promise<void> {
  await insertShippingOrderQuery(tx, row);
}

/** The insert of `insertShippingOrder`, not yet run (the consumer runner's write-only path). */
export function insertShippingOrderQuery(tx: ShippingTx, row: typeof shippingOrders.$inferInsert) {
  return tx.insert(shippingOrders).values(row).onConflictDoNothing();
}

export async function findShippingOrder(tx: ShippingTx, orderId: string): Promise<ShippingOrder | undefined> {
  const [row] = await tx.select().from(shippingOrders).where(eq(shippingOrders.orderId, orderId));
  return row;
}

/**
 * Sets the order's one outcome. Guarded by `outcome is null` so that, should the lock ever be
 * bypassed, a second decision cannot overwrite the first.
 */
export async function recordOutcome(
  tx: ShippingTx,
  orderId: string,
  outcome: { outcome: 'SCHEDULED' | 'FAILED'; failureReason?: string },
  at: Date,
): Promise<void> {
  await tx
    .update(shippingOrders)
    .set({ outcome: outcome.outcome, failureReason: outcome.failureReason ?? null, decidedAt: at })
    .where(and(eq(shippingOrders.orderId, orderId), isNull(shippingOrders.outcome)));
}

export async function insertShipment(tx: ShippingTx, row: typeof shipments.$inferInsert): Promise<void> {
  await tx.insert(shipments).values(row); // a conflict means a second dispatch: fail and roll back
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
