import type { EventType } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { OrderSchema } from '../db/schema.js';
import { applyEvent } from './apply-event.js';

/** The types this consumer applies (every other type of the stream is ignored). */
export const INVENTORY_EVENTS = ['inventory.reserved', 'inventory.rejected', 'inventory.released'] as const satisfies readonly EventType[];

/**
 * `order-inventory-events`: inventory.reserved records the amount (cents) and currency;
 * inventory.rejected cancels a PENDING order with its reason; inventory.released (the
 * compensation of a cancel) only goes on the timeline.
 */
export const handleInventoryEvent: EventHandler<OrderSchema> = async (event, ctx) => {
  switch (event.type) {
    case 'inventory.reserved':
    case 'inventory.rejected':
    case 'inventory.released':
      return applyEvent(event, ctx);
    default:
      return [];
  }
};
