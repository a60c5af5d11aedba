import type { EventType } from '@orderflow/contracts';
import { lockOrder } from '@orderflow/service-kit';
import type { AnyEventDraft, DomainEvent, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { ShippingSchema } from '../db/schema.js';
import {
  findShipmentForUpdate,
  insertShippingOrder,
  insertShippingOrderQuery,
  markCancelled,
  markShipmentCancelled,
  type ShippingTx,
} from '../db/repository.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Learns the address on `order.placed`; cancels the shipment on `order.cancelled`. A repeat of
 * either fact (same or new event id) is harmless: the address row is written once, and only a
 * SCHEDULED shipment is cancelled, so a second cancel emits nothing.
 */
export const handleOrderEvent: EventHandler<ShippingSchema> = async (event, { tx, now }) => {
  switch (event.type) {
    case 'order.placed':
      return storeAddress(tx, event, now);
    case 'order.cancelled':
      return cancelShipment(tx, event, now);
    default:
      return [];
  }
};

async function storeAddress(tx: ShippingTx, event: OrderPlaced, now: Date): Promise<AnyEventDraft[]> {
  await insertShippingOrder(tx, addressRow(event, now));
  return [];
}

function addressRow(event: OrderPlaced, now: Date) {
  const address = event.data.shippingAddress;
  // Kept even when the order is already cancelled; the tombstone alone decides that nothing ships.
  return { orderId: event.orderId, shippingAddress: address, country: address.country, receivedAt: now };
}

/**
 * The runner's write-only path: `order.placed` is one idempotent insert (what `storeAddress`
 * does), so a batch of them commits in one round trip.
 */
export function orderEventWrites(db: ShippingTx) {
  return (event: DomainEvent, now: Date) => (event.type === 'order.placed' ? [insertShippingOrderQuery(db, addressRow(event, now))] : undefined);
}

async function cancelShipment(tx: ShippingTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  const shipment = await findShipmentForUpdate(tx, orderId);
  if (shipment === undefined || shipment.status !== 'SCHEDULED') return []; // none yet, a failed attempt, or cancelled already
  await markShipmentCancelled(tx, shipment.shipmentId, now);
  return [{ type: 'shipment.cancelled', orderId, data: { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber } }];
}
