import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type OrderSchema } from './db/schema.js';
import { handleInventoryEvent } from './handlers/inventory-events.js';
import { handleNotificationEvent } from './handlers/notification-events.js';
import { handlePaymentEvent } from './handlers/payment-events.js';
import { handleShippingEvent } from './handlers/shipping-events.js';

/**
 * The order service: the HTTP edge (places, shows, lists and cancels orders) and the one place
 * an order's status changes, from the participants' answers. One durable consumer per source
 * stream; the names are permanent.
 */
export const orderService: ServiceDefinition<OrderSchema> = {
  name: 'order',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  consumers: () => [
    { name: 'order-inventory-events', from: 'inventory', handler: handleInventoryEvent },
    { name: 'order-payment-events', from: 'payment', handler: handlePaymentEvent },
    { name: 'order-shipping-events', from: 'shipping', handler: handleShippingEvent },
    { name: 'order-notification-events', from: 'notification', handler: handleNotificationEvent },
  ],
  buildApp,
};

export { loadEnv } from './env.js';
