import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type PaymentSchema } from './db/schema.js';
import { HANDLED_INVENTORY_EVENTS, handleInventoryEvent, handleInventoryEvents, inventoryEventReads } from './handlers/inventory-events.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent, handleOrderEvents, orderEventReads } from './handlers/order-events.js';

/** The payment service: charges on inventory.reserved, refunds on order.cancelled; lists payments. */
export const paymentService: ServiceDefinition<PaymentSchema> = {
  name: 'payment',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Durable names are permanent: renaming one re-consumes its whole stream.
  consumers: () => [
    {
      name: 'payment-order-events',
      from: 'order',
      handler: handleOrderEvent,
      // A batch of order.placed in two round trips: begin, inbox, locks and reads (a reservation
      // waiting for the token); tokens, payments, outbox, commit.
      reads: orderEventReads,
      batchHandler: handleOrderEvents,
      types: HANDLED_ORDER_EVENTS,
    },
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
