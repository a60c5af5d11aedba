import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The catalogue: price and stock per SKU. Stock can never go negative (the check is the last line of defence against overselling). */
export const products = pgTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    stock: integer('stock').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('products_stock_non_negative', sql`${t.stock} >= 0`), check('products_price_non_negative', sql`${t.priceCents} >= 0`)],
);

export type ReservationLine = { sku: string; quantity: number; unitPriceCents: number };

/** One row per order that inventory answered: what was reserved (or why not), and whether it was given back. */
export const reservations = pgTable('reservations', {
  orderId: uuid('order_id').primaryKey(),
  status: text('status', { enum: ['RESERVED', 'REJECTED', 'RELEASED'] }).notNull(),
  lines: jsonb('lines').$type<ReservationLine[]>().notNull(),
  amountCents: integer('amount_cents'),
  currency: text('currency'),
  reason: text('reason'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  releasedAt: timestamp('released_at', { withTimezone: true }),
});

/**
 * Tombstones of cancelled orders. A late or reordered `order.placed` for an order in here
 * reserves nothing, so a cancelled order never leaves stock behind.
 */
export const cancelledOrders = pgTable('cancelled_orders', {
  orderId: uuid('order_id').primaryKey(),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { products, reservations, cancelledOrders };
export type InventorySchema = typeof schema;
