import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type ShippingSchema } from './db/schema.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent, orderEventWrites } from './handlers/order-events.js';
import { HANDLED_PAYMENT_EVENTS, handlePaymentEvent, handlePaymentEvents, paymentEventReads } from './handlers/payment-events.js';

/** The shipping service: schedules on payment.authorized, cancels on order.cancelled; lists shipments. */
export const shippingService: ServiceDefinition<ShippingSchema> = {
  name: 'shipping',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Durable names are permanent: renaming one re-consumes its whole stream.
  // order.placed is one idempotent insert: the runner's write-only path commits a batch of them in one round trip.
  consumers: ({ db }) => [
    { name: 'shipping-order-events', from: 'order', handler: handleOrderEvent, types: HANDLED_ORDER_EVENTS, writeOnly: orderEventWrites(db) },
    {
      name: 'shipping-payment-events',
      from: 'payment',
      handler: handlePaymentEvent,
      // A batch of authorizations in two round trips: begin, inbox, locks and reads; shipments, outcomes, outbox, commit.
      reads: paymentEventReads,
      batchHandler: handlePaymentEvents,
      types: HANDLED_PAYMENT_EVENTS,
    },
  ],
  buildApp,
};

export { loadEnv } from './env.js';
