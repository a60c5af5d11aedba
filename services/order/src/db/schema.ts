import { sql } from 'drizzle-orm';
import type { CancellationReason } from '@orderflow/contracts';
import { bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The contract's reasons, spelled out for drizzle's enum typing (a tuple literal).
const CANCELLATION_REASONS = [
  'OUT_OF_STOCK',
  'UNKNOWN_SKU',
  'PAYMENT_DECLINED',
  'SHIPPING_UNAVAILABLE',
  'CANCELLED_BY_CUSTOMER',
] as const satisfies readonly CancellationReason[];

export type OrderLine = { sku: string; quantity: number };
export type ShippingAddress = { name: string; line1: string; city: string; postalCode: string; country: string };

/**
 * One row per order: what the customer asked for and what the participants answered so far.
 *
 * `created_at` is always written from the injected clock (millisecond precision), never
 * `now()`: the list cursor carries it as an ISO string, and a microsecond value would not
 * round-trip through it.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    status: text('status', { enum: ['PENDING', 'CONFIRMED', 'CANCELLED'] }).notNull(),
    cancellationReason: text('cancellation_reason', { enum: CANCELLATION_REASONS }),
    customerId: text('customer_id').notNull(),
    customerEmail: text('customer_email').notNull(),
    items: jsonb('items').$type<OrderLine[]>().notNull(),
    shippingAddress: jsonb('shipping_address').$type<ShippingAddress>().notNull(),
    /** In cents, from inventory.reserved (the catalogue's prices, never the client's). */
    amountCents: integer('amount_cents'),
    currency: text('currency'),
    trackingNumber: text('tracking_number'),
    correlationId: text('correlation_id').notNull(),
    /** The client's Idempotency-Key, when it sent one; unique, so two racing requests make one order. */
    idempotencyKey: text('idempotency_key'),
    /** sha256 of the canonical request body, to tell a replay (same body) from a misuse of the key (another body). */
    requestHash: text('request_hash'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('orders_idempotency_key_unique').on(t.idempotencyKey),
    // Keyset pagination, newest first: (created_at, id) for everyone, and per customer.
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('orders_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    check('orders_amount_non_negative', sql`${t.amountCents} >= 0`),
  ],
);

/**
 * Every event of an order the service saw or emitted, once per fact. `fact` is the event type
 * (each happens at most once per order), or `notification.sent:<kind>` for notifications, so
 * the same fact re-emitted under a new event id (a replay, a duplicate emission) is recorded
 * once, while exact redeliveries never reach the handler at all (the inbox drops them).
 */
export const orderTimeline = pgTable(
  'order_timeline',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    fact: text('fact').notNull(),
    type: text('type').notNull(),
    eventId: uuid('event_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    /** Tie-breaker for events with the same `occurred_at`: the order they were recorded in. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.fact] })],
);

export const schema = { orders, orderTimeline };
export type OrderSchema = typeof schema;
