import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type ShippingSchema } from './db/schema.js';
import { HANDLED_ORDER_EVENTS, handleOrderEvent, handleOrderEvents, orderEventReads } from './handlers/order-events.js';
import { HANDLED_PAYMENT_EVENTS, handlePaymentEvent, handlePaymentEvents, paymentEventReads } from './handlers/payment-events.js';

/** The shipping service: schedules on payment.authorized, cancels on order.cancelled; lists shipments. */
export const shippingService: ServiceDefinition<ShippingSchema> = {
  name: 'shipping',
  schema,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  // Durable names are permanent: renaming one re-consumes its whole stream.
  consumers: () => [
    {
      name: 'shipping-order-events',
      from: 'order',
      handler: handleOrderEvent,
      // A batch of order.placed in two round trips: begin, inbox, locks and reads (a payment
      // waiting for the address); addresses, shipments, outcomes, outbox, commit.
      reads: orderEventReads,
      batchHandler: handleOrderEvents,
      types: HANDLED_ORDER_EVENTS,
    },
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
