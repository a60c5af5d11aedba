import { asc, eq, sql, type SQL } from 'drizzle-orm';
import { arrayParam, rowsOf, type OrderStatesRead } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { cancelledOrders, products, reservations, type InventorySchema, type ReservationLine } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the inventory schema. */
export type InventoryTx = NodePgDatabase<InventorySchema>;

export type Product = typeof products.$inferSelect;
export type Reservation = typeof reservations.$inferSelect;
export type NewReservation = typeof reservations.$inferInsert & { createdAt: Date };

/** The statement of `reservationStates`; `reservationStatesOf` reads its rows. */
function reservationStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) or exists (select 1 from ${reservations} r where r.order_id = o.id) as settled
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)`;
}

function reservationStatesOf(rows: readonly Record<string, unknown>[]): { orderId: string; settled: boolean }[] {
  return (rows as readonly { order_id: string; settled: boolean }[]).map((r) => ({ orderId: r.order_id, settled: r.settled }));
}

/**
 * Whether each order is settled for reservation purposes, in one statement: cancelled (its
 * tombstone) or already answered (a reservation row, whatever its status). Read under the
 * orders' locks (service-kit `lockAndReadOrders`, or its two round trips).
 */
export const reservationStates: OrderStatesRead<{ orderId: string; settled: boolean }> = { statement: reservationStatesStatement, statesOf: reservationStatesOf };

/** Adds each `delta` to its SKU's stock, all in one statement (the caller holds the products' locks). */
export async function adjustStocks(tx: InventoryTx, deltas: readonly { sku: string; delta: number }[], at: Date): Promise<void> {
  if (deltas.length === 0) return;
  await tx.execute(adjustStocksStatement(deltas, at));
}

/** The statement of `adjustStocks`, not run (a batch handler's `atCommit`). */
export function adjustStocksStatement(deltas: readonly { sku: string; delta: number }[], at: Date): SQL {
  return sql`
    update ${products} as p set stock = p.stock + u.delta, updated_at = ${at.toISOString()}::timestamptz
    from unnest(${arrayParam(deltas, (d) => d.sku)}::text[], ${arrayParam(deltas, (d) => d.delta)}::int[]) as u(sku, delta)
    where p.sku = u.sku`;
}

/** Reservations, all in one statement; an order answered already keeps its first answer. */
export async function insertReservations(tx: InventoryTx, rows: readonly NewReservation[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(insertReservationsStatement(rows));
}

/** The statement of `insertReservations`, not run (a batch handler's `atCommit`). */
export function insertReservationsStatement(rows: readonly NewReservation[]): SQL {
  return sql`
    insert into ${reservations} (order_id, status, lines, amount_cents, currency, reason, created_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.status)}::text[], ${arrayParam(rows, (r) => JSON.stringify(r.lines))}::jsonb[],
                         ${arrayParam(rows, (r) => r.amountCents ?? null)}::int[], ${arrayParam(rows, (r) => r.currency ?? null)}::text[], ${arrayParam(rows, (r) => r.reason ?? null)}::text[],
                         ${arrayParam(rows, (r) => r.createdAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
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
 * cannot deadlock) and returns them. Held until commit: no concurrent order can oversell. The
 * statement sets the order; `skus` may come in any order, and repeat.
 */
export async function lockProducts(tx: InventoryTx, skus: readonly string[]): Promise<Product[]> {
  if (skus.length === 0) return [];
  return rowsOf(products, (await tx.execute(lockProductsStatement(skus))).rows);
}

/**
 * `lockProducts`' statement, not run (the consumer's `reads`), as plain SQL: its rows are pg's
 * `select *` rows, which service-kit `rowsOf(products, rows)` turns into `Product`s.
 */
export function lockProductsStatement(skus: readonly string[]): SQL {
  return sql`select * from ${products} where ${products.sku} = any(${sql.param([...skus])}::text[]) order by ${products.sku} for update`;
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
