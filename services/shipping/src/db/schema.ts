import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { ShippingAddressSchema } from '@orderflow/contracts';
import type { z } from 'zod';

/** The address as `order.placed` carried it. */
export type ShippingAddress = z.infer<typeof ShippingAddressSchema>;

/**
 * What shipping learned from `order.placed` (where to ship), and how its one attempt ended.
 * `payment.authorized` can arrive before this row exists (different streams); it then waits in
 * `waiting_payments` for the `order.placed` that brings the address. `outcome` is set once: a second copy of the payment fact finds it and
 * neither schedules again nor re-emits `shipment.failed`.
 */
export const shippingOrders = pgTable('shipping_orders', {
  orderId: uuid('order_id').primaryKey(),
  shippingAddress: jsonb('shipping_address').$type<ShippingAddress>().notNull(),
  country: text('country').notNull(),
  outcome: text('outcome', { enum: ['SCHEDULED', 'FAILED'] }),
  failureReason: text('failure_reason'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  decidedAt: timestamp('decided_at', { withTimezone: true }),
});

/** At most one shipment per order (the unique order id is the last line of defence against a double dispatch). */
export const shipments = pgTable(
  'shipments',
  {
    shipmentId: uuid('shipment_id').primaryKey(),
    orderId: uuid('order_id').notNull().unique(),
    status: text('status', { enum: ['SCHEDULED', 'CANCELLED'] }).notNull(),
    trackingNumber: text('tracking_number').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  // The list without an orderId reads the newest rows.
  (t) => [index('shipments_created_at_idx').on(t.createdAt)],
);

/**
 * Tombstones of cancelled orders. A late or reordered `payment.authorized` for an order in here
 * schedules nothing, so a cancelled order never leaves a shipment behind.
 */
export const cancelledOrders = pgTable('cancelled_orders', {
  orderId: uuid('order_id').primaryKey(),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Authorized payments that arrived before their order's `order.placed` (the two travel on
 * different streams). Whichever of the two comes second decides the shipment, under the order's
 * lock: a payment finds the address and dispatches, or `order.placed` finds the payment here,
 * dispatches and deletes it. So neither is retried, and no hop waits on a redelivery delay.
 * `event_id` is the payment event's, the causation of the shipment event it leads to.
 */
export const waitingPayments = pgTable('waiting_payments', {
  orderId: uuid('order_id').primaryKey(),
  eventId: uuid('event_id').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { shippingOrders, shipments, cancelledOrders, waitingPayments };
export type ShippingSchema = typeof schema;
