import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * What payment learned from `order.placed`: the token to charge once inventory has priced the
 * order. `inventory.reserved` can arrive before this row exists (different streams); it then
 * waits in `waiting_reservations` for the `order.placed` that brings the token.
 */
export const paymentOrders = pgTable('payment_orders', {
  orderId: uuid('order_id').primaryKey(),
  paymentToken: text('payment_token').notNull(),
  customerId: text('customer_id').notNull(),
  customerEmail: text('customer_email').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** At most one payment per order (the unique order id is the last line of defence against a double charge). */
export const payments = pgTable(
  'payments',
  {
    paymentId: uuid('payment_id').primaryKey(),
    orderId: uuid('order_id').notNull().unique(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['AUTHORIZED', 'DECLINED', 'REFUNDED'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
  },
    // The list without an orderId reads the newest rows.
  (t) => [check('payments_amount_non_negative', sql`${t.amountCents} >= 0`), index('payments_created_at_idx').on(t.createdAt)],
);

/**
 * Tombstones of cancelled orders. A late or reordered `inventory.reserved` for an order in here
 * charges nothing, so a cancelled order never leaves money taken.
 */
export const cancelledOrders = pgTable('cancelled_orders', {
  orderId: uuid('order_id').primaryKey(),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Reservations that arrived before their order's `order.placed` (the two travel on different
 * streams). Whichever of the two comes second charges, under the order's lock: a reservation
 * finds the token and charges, or `order.placed` finds the reservation here, charges and deletes
 * it. So neither is retried, and no hop waits on a redelivery delay. `event_id` is the
 * reservation's, the causation of the payment event it leads to.
 */
export const waitingReservations = pgTable('waiting_reservations', {
  orderId: uuid('order_id').primaryKey(),
  eventId: uuid('event_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  currency: text('currency').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { paymentOrders, payments, cancelledOrders, waitingReservations };
export type PaymentSchema = typeof schema;
