import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { cancelledOrders, products, reservations, type InventorySchema, type ReservationLine } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the inventory schema. */
export type InventoryTx = NodePgDatabase<InventorySchema>;

export type Product = typeof products.$inferSelect;
export type Reservation = typeof reservations.$inferSelect;

export async function isCancelled(tx: InventoryTx, orderId: string): Promise<boolean> {
  const rows = await tx.select({ orderId: cancelledOrders.orderId }).from(cancelledOrders).where(eq(cancelledOrders.orderId, orderId));
  return rows.length > 0;
}

/** Records the tombstone; idempotent. */
export async function markCancelled(tx: InventoryTx, orderId: string, at: Date): Promise<void> {
  await tx.insert(cancelledOrders).values({ orderId, cancelledAt: at }).onConflictDoNothing();
}

/** The reservation of an order, row-locked, so a concurrent release or reserve waits. */
export async function findReservationForUpdate(tx: InventoryTx, orderId: string): Promise<Reservation | undefined> {
  const rows = await tx.select().from(reservations).where(eq(reservations.orderId, orderId)).for('update');
  return rows[0];
}

/**
 * Locks the products of an order in SKU order (a fixed order, so two orders over the same SKUs
 * cannot deadlock) and returns them. Held until commit: no concurrent order can oversell.
 */
export async function lockProducts(tx: InventoryTx, skus: readonly string[]): Promise<Product[]> {
  if (skus.length === 0) return [];
  return tx.select().from(products).where(inArray(products.sku, [...skus])).orderBy(asc(products.sku)).for('update');
}

/** Adds `delta` (negative to take) to each SKU's stock, in SKU order. */
export async function adjustStock(tx: InventoryTx, lines: readonly { sku: string; quantity: number }[], sign: 1 | -1, at: Date): Promise<void> {
  for (const line of [...lines].sort((a, b) => a.sku.localeCompare(b.sku))) {
    await tx
      .update(products)
      .set({ stock: sql`${products.stock} + ${sign * line.quantity}`, updatedAt: at })
      .where(eq(products.sku, line.sku));
  }
}

export async function insertReservation(tx: InventoryTx, row: typeof reservations.$inferInsert): Promise<void> {
  await tx.insert(reservations).values(row).onConflictDoNothing();
}

export async function markReleased(tx: InventoryTx, orderId: string, at: Date): Promise<void> {
  await tx.update(reservations).set({ status: 'RELEASED', releasedAt: at }).where(eq(reservations.orderId, orderId));
}

export async function listProducts(tx: InventoryTx): Promise<Product[]> {
  return tx.select().from(products).orderBy(asc(products.sku));
}

export async function findProduct(tx: InventoryTx, sku: string): Promise<Product | undefined> {
  return (await tx.select().from(products).where(eq(products.sku, sku)))[0];
}

export async function upsertProduct(
  tx: InventoryTx,
  p: { sku: string; name: string; priceCents: number; currency: string; stock: number },
  at: Date,
): Promise<Product> {
  const rows = await tx
    .insert(products)
    .values({ ...p, updatedAt: at })
    .onConflictDoUpdate({
      target: products.sku,
      set: { name: p.name, priceCents: p.priceCents, currency: p.currency, stock: p.stock, updatedAt: at },
    })
    .returning();
  return rows[0]!;
}

export type { ReservationLine };
