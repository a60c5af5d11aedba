import type { EventType } from '@orderflow/contracts';
import type { AnyEventDraft, DomainEvent, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { BatchEventHandler, EventHandler, ParameterizedQuery } from '@orderflow/messaging';
import { lockAndReadOrders, lockAndReadOrdersReads, lockOrder, orderPlacedBatches, placedOnly, readUnderOrderLocks, renderSql, rowsOf } from '@orderflow/service-kit';
import { products, type InventorySchema } from '../db/schema.js';
import {
  adjustStocks,
  adjustStocksStatement,
  findReservationForUpdate,
  insertReservations,
  insertReservationsStatement,
  lockProducts,
  lockProductsStatement,
  markCancelled,
  markReleased,
  reservationStates,
  type InventoryTx,
  type NewReservation,
  type Product,
} from '../db/repository.js';
import { decideReservation } from '../domain/reservation.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Reserve on `order.placed`, all or nothing; release on `order.cancelled`. Both are safe to
 * receive twice and in either order: a cancelled order's tombstone stops a late reservation,
 * and a reservation row stops a second one.
 */
export const handleOrderEvent: EventHandler<InventorySchema> = (event, { tx, now }) => applyOrderEvent(tx, event, now);

async function applyOrderEvent(tx: InventoryTx, event: DomainEvent, now: Date): Promise<AnyEventDraft[]> {
  switch (event.type) {
    case 'order.placed':
      return (await reserveAll(tx, [event], now))[0]!;
    case 'order.cancelled':
      return release(tx, event, now);
    default:
      return [];
  }
}

/**
 * What a batch of `order.placed` begins with, sent with the transaction's `begin` (the consumer's
 * `reads`): the orders' locks, what inventory knows of each, and their products, locked in SKU
 * order. A batch with a cancel in it reads nothing here: it runs event by event.
 */
export function orderEventReads(events: readonly DomainEvent[]): ParameterizedQuery[] {
  const placed = placedOnly(events);
  if (placed === undefined || placed.length === 0) return [];
  const ids = placed.map((e) => e.orderId);
  const skus = [...new Set(placed.flatMap((e) => e.data.items.map((i) => i.sku)))];
  return [...lockAndReadOrdersReads(ids, reservationStates), renderSql(lockProductsStatement(skus))];
}

/**
 * `handleOrderEvent` for a whole transaction's events at once (the runner's batchHandler). A
 * batch of `order.placed` is reserved set-based, on what `orderEventReads` read, with the stock
 * taken and the reservations inserted at the commit: two round trips. A batch with a cancel in
 * it runs event by event, in order, in the same transaction.
 */
export const handleOrderEvents: BatchEventHandler<InventorySchema> = orderPlacedBatches<InventorySchema>({
  single: applyOrderEvent,
  awaited: reserveAll,
  setBased: (placed, { now, read, atCommit }) => {
    const known = readUnderOrderLocks(read, reservationStates);
    const stock = new Map(rowsOf(products, read[2]!).map((p) => [p.sku, p])); // the products' lock, after the orders'
    const { results, taken, rows } = reserveEach(placed, known, stock, now);
    if (taken.length > 0) atCommit(renderSql(adjustStocksStatement(taken, now)));
    if (rows.length > 0) atCommit(renderSql(insertReservationsStatement(rows)));
    return results;
  },
});

/**
 * Reserves a batch of orders, each statement awaited: lock the orders, read what inventory knows
 * of each, lock their products (in SKU order), take the stock, insert the reservations.
 */
async function reserveAll(tx: InventoryTx, events: readonly OrderPlaced[], now: Date): Promise<AnyEventDraft[][]> {
  // One order at a time: a cancel handled concurrently (another replica) must see our reservation.
  const known = await lockAndReadOrders(tx, events.map((e) => e.orderId), reservationStates);
  const open = events.filter((e) => !known.get(e.orderId)!.settled);
  const stock = new Map((await lockProducts(tx, open.flatMap((e) => e.data.items.map((i) => i.sku)))).map((p) => [p.sku, p]));
  const { results, taken, rows } = reserveEach(events, known, stock, now);
  await adjustStocks(tx, taken, now);
  await insertReservations(tx, rows);
  return results;
}

/**
 * All or nothing per order, decided in delivery order against the stock the orders before it in
 * the batch left (`stock`: the products, locked), so two orders of one SKU cannot oversell it.
 * Returns each event's drafts, the stock to take and the reservations to insert.
 */
function reserveEach(
  events: readonly OrderPlaced[],
  known: Map<string, { orderId: string; settled: boolean }>,
  stock: Map<string, Product>,
  now: Date,
): { results: AnyEventDraft[][]; taken: { sku: string; delta: number }[]; rows: NewReservation[] } {
  const taken = new Map<string, number>();
  const rows: NewReservation[] = [];
  const results = events.map((event): AnyEventDraft[] => {
    const { orderId } = event;
    // Cancelled first, or answered already (e.g. a replay, or the same fact earlier in the batch).
    if (known.get(orderId)!.settled) return [];
    known.set(orderId, { orderId, settled: true });
    const decision = decideReservation(event.data.items, stock);
    if (decision.kind === 'reject') {
      rows.push({ orderId, status: 'REJECTED', lines: [], reason: decision.reason, createdAt: now });
      return [{ type: 'inventory.rejected', orderId, data: { reason: decision.reason, skus: [...decision.skus] } }];
    }
    for (const { sku, quantity } of decision.lines) {
      const p = stock.get(sku)!;
      stock.set(sku, { ...p, stock: p.stock - quantity });
      taken.set(sku, (taken.get(sku) ?? 0) + quantity);
    }
    const { lines, amountCents, currency } = decision;
    rows.push({ orderId, status: 'RESERVED', lines: [...lines], amountCents, currency, createdAt: now });
    return [{ type: 'inventory.reserved', orderId, data: { lines: [...lines], amountCents, currency } }];
  });
  return { results, taken: [...taken].map(([sku, quantity]) => ({ sku, delta: -quantity })), rows };
}

async function release(tx: InventoryTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  const reservation = await findReservationForUpdate(tx, orderId);
  if (reservation?.status !== 'RESERVED') return [];
  await lockProducts(tx, reservation.lines.map((l) => l.sku));
  await adjustStocks(tx, reservation.lines.map(({ sku, quantity }) => ({ sku, delta: quantity })), now);
  await markReleased(tx, orderId, now);
  return [
    {
      type: 'inventory.released',
      orderId,
      data: { lines: reservation.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
    },
  ];
}
