import type { EventType } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { OrderSchema } from '../db/schema.js';
import { applyEvent } from './apply-event.js';

/** The types this consumer applies (every other type of the stream is ignored). */
export const SHIPPING_EVENTS = ['shipment.scheduled', 'shipment.failed', 'shipment.cancelled'] as const satisfies readonly EventType[];

/**
 * `order-shipping-events`: shipment.scheduled confirms a PENDING order (order.confirmed; if
 * inventory.reserved, which brings the amount, has not been applied yet, the tracking number waits
 * on the order and inventory.reserved confirms it);
 * shipment.failed cancels it (SHIPPING_UNAVAILABLE); shipment.cancelled only goes on the timeline.
 * A shipment.scheduled for an order already cancelled changes nothing: shipping's own tombstone
 * cancels the shipment when it sees order.cancelled.
 */
export const handleShippingEvent: EventHandler<OrderSchema> = async (event, ctx) => {
  switch (event.type) {
    case 'shipment.scheduled':
    case 'shipment.failed':
    case 'shipment.cancelled':
      return applyEvent(event, ctx);
    default:
      return [];
  }
};
