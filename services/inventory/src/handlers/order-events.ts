import type { EventType } from '@orderflow/contracts';
import type { AnyEventDraft, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import { lockOrder } from '@orderflow/service-kit';
import type { InventorySchema } from '../db/schema.js';
import {
  adjustStock,
  findReservationForUpdate,
  insertReservation,
  isCancelled,
  lockProducts,
  markCancelled,
  markReleased,
  type InventoryTx,
} from '../db/repository.js';
import { decideReservation } from '../domain/reservation.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Reserve on `order.placed`, all or nothing; release on `order.cancelled`. Both are safe to
 * receive twice and in either order: a cancelled order's tombstone stops a late reservation,
 * and a reservation row stops a second one.
 */
export const handleOrderEvent: EventHandler<InventorySchema> = async (event, { tx, now }) => {
  switch (event.type) {
    case 'order.placed':
      return reserve(tx, event, now);
    case 'order.cancelled':
      return release(tx, event, now);
    default:
      return [];
  }
};

async function reserve(tx: InventoryTx, event: OrderPlaced, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  // One order at a time: a cancel handled concurrently (another replica) must see our reservation.
  await lockOrder(tx, orderId);
  if (await isCancelled(tx, orderId)) return [];
  if (await findReservationForUpdate(tx, orderId)) return []; // answered already (e.g. a replay)
  const skus = [...new Set(event.data.items.map((i) => i.sku))].sort();
  const stocked = await lockProducts(tx, skus);
  const decision = decideReservation(event.data.items, new Map(stocked.map((p) => [p.sku, p])));
  if (decision.kind === 'reject') {
    await insertReservation(tx, { orderId, status: 'REJECTED', lines: [], reason: decision.reason, createdAt: now });
    return [{ type: 'inventory.rejected', orderId, data: { reason: decision.reason, skus: [...decision.skus] } }];
  }
  await adjustStock(tx, decision.lines, -1, now);
  await insertReservation(tx, {
    orderId,
    status: 'RESERVED',
    lines: [...decision.lines],
    amountCents: decision.amountCents,
    currency: decision.currency,
    createdAt: now,
  });
  return [
    {
      type: 'inventory.reserved',
      orderId,
      data: { lines: [...decision.lines], amountCents: decision.amountCents, currency: decision.currency },
    },
  ];
}

async function release(tx: InventoryTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  const reservation = await findReservationForUpdate(tx, orderId);
  if (reservation?.status !== 'RESERVED') return [];
  await adjustStock(tx, reservation.lines, 1, now);
  await markReleased(tx, orderId, now);
  return [
    {
      type: 'inventory.released',
      orderId,
      data: { lines: reservation.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
    },
  ];
}
