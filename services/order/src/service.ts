import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type OrderSchema } from './db/schema.js';
import { applyEventsOf, timelineOnlyWrites } from './handlers/apply-event.js';
import { INVENTORY_EVENTS, handleInventoryEvent } from './handlers/inventory-events.js';
import { NOTIFICATION_EVENTS, handleNotificationEvent } from './handlers/notification-events.js';
import { PAYMENT_EVENTS, handlePaymentEvent } from './handlers/payment-events.js';
import { SHIPPING_EVENTS, handleShippingEvent } from './handlers/shipping-events.js';

/**
 * The order service: the HTTP edge (places, shows, lists and cancels orders) and the one place
 * an order's status changes, from the participants' answers. One durable consumer per source
 * stream; the names are permanent.
 */
export const orderService: ServiceDefinition<OrderSchema> = {
  name: 'order',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Events that only go on the timeline (payment.authorized, notification.sent, the
  // compensations) take the runner's write-only path: a batch of them is one round trip. Any
  // other batch is decided at once (applyEventsOf): two round trips per batch, the orders locked
  // and read with its begin, the timeline and the new states written with its commit.
  consumers: () => [
    {
      name: 'order-inventory-events',
      from: 'inventory',
      handler: handleInventoryEvent,
      ...applyEventsOf(INVENTORY_EVENTS),
      writeOnly: timelineOnlyWrites(INVENTORY_EVENTS),
    },
    {
      name: 'order-payment-events',
      from: 'payment',
      handler: handlePaymentEvent,
      ...applyEventsOf(PAYMENT_EVENTS),
      writeOnly: timelineOnlyWrites(PAYMENT_EVENTS),
    },
    {
      name: 'order-shipping-events',
      from: 'shipping',
      handler: handleShippingEvent,
      ...applyEventsOf(SHIPPING_EVENTS),
      writeOnly: timelineOnlyWrites(SHIPPING_EVENTS),
    },
    {
      name: 'order-notification-events',
      from: 'notification',
      handler: handleNotificationEvent,
      writeOnly: timelineOnlyWrites(NOTIFICATION_EVENTS),
    },
  ],
  buildApp,
};

export { loadEnv } from './env.js';
