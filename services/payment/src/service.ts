import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type PaymentSchema } from './db/schema.js';
import { HANDLED_INVENTORY_EVENTS, handleInventoryEvent, handleInventoryEvents, inventoryEventReads } from './handlers/inventory-events.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent, orderEventWrites } from './handlers/order-events.js';

/** The payment service: charges on inventory.reserved, refunds on order.cancelled; lists payments. */
export const paymentService: ServiceDefinition<PaymentSchema> = {
  name: 'payment',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Durable names are permanent: renaming one re-consumes its whole stream.
  // order.placed is one idempotent insert: the runner's write-only path commits a batch of them in one round trip.
  consumers: ({ db }) => [
    { name: 'payment-order-events', from: 'order', handler: handleOrderEvent, types: HANDLED_ORDER_EVENTS, writeOnly: orderEventWrites(db) },
    {
      name: 'payment-inventory-events',
      from: 'inventory',
      handler: handleInventoryEvent,
      // A batch of reservations in two round trips: begin, inbox, locks and reads; payments, outbox, commit.
      reads: inventoryEventReads,
      batchHandler: handleInventoryEvents,
      types: HANDLED_INVENTORY_EVENTS,
    },
  ],
  buildApp,
};

export { loadEnv } from './env.js';
