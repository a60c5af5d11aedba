import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type PaymentSchema } from './db/schema.js';
import { HANDLED_INVENTORY_EVENTS, handleInventoryEvent } from './handlers/inventory-events.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent } from './handlers/order-events.js';

/** The payment service: charges on inventory.reserved, refunds on order.cancelled; lists payments. */
export const paymentService: ServiceDefinition<PaymentSchema> = {
  name: 'payment',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Durable names are permanent: renaming one re-consumes its whole stream.
  consumers: () => [
    { name: 'payment-order-events', from: 'order', handler: handleOrderEvent, types: HANDLED_ORDER_EVENTS },
    { name: 'payment-inventory-events', from: 'inventory', handler: handleInventoryEvent, types: HANDLED_INVENTORY_EVENTS },
  ],
  buildApp,
};

export { loadEnv } from './env.js';
