import { index, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/**
 * One row per message sent: at most one per order and final state. The unique key is the
 * idempotency guard: a redelivered or re-published fact (a new event id, the same order and
 * kind) inserts nothing, and only the delivery whose insert returned a row sends. A row for
 * `order.cancelled` also serves as this service's tombstone of a cancelled order.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    kind: text('kind', { enum: ['order.confirmed', 'order.cancelled'] }).notNull(),
    recipient: text('recipient').notNull(),
    channel: text('channel', { enum: ['log', 'smtp'] }).notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('notifications_order_kind_unique').on(t.orderId, t.kind), index('notifications_sent_at_idx').on(t.sentAt)],
);

export const schema = { notifications };
export type NotificationSchema = typeof schema;
