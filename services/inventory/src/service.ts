import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type InventorySchema } from './db/schema.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent, handleOrderEvents, orderEventReads } from './handlers/order-events.js';
import { seedCatalogue } from './seed.js';

/** The inventory service: reacts to order.placed / order.cancelled; serves the catalogue. */
export const inventoryService: ServiceDefinition<InventorySchema> = {
  name: 'inventory',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  consumers: () => [
    {
      name: 'inventory-order-events',
      from: 'order',
      handler: handleOrderEvent,
      // A batch of order.placed in two round trips: begin, inbox, locks and reads; stock, reservations, outbox, commit.
      reads: orderEventReads,
      batchHandler: handleOrderEvents,
      types: HANDLED_ORDER_EVENTS,
    },
  ],
  buildApp,
  seed: seedCatalogue,
};

export { loadEnv } from './env.js';
export { SEED_CATALOGUE } from './seed.js';
