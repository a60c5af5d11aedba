import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Transactional outbox. A row is written in the same transaction as the state change that
 * caused it; the relay publishes it to JetStream and only then sets `published_at`.
 * `payload` is the exact JSON body to publish, serialized once at enqueue time.
 */
export const outbox = pgTable(
  'messaging_outbox',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: uuid('id').notNull(),
    /** Subject without the namespace prefix; the relay adds it. */
    subject: text('subject').notNull(),
    payload: text('payload').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [
    // The relay scans only unpublished rows; keep that index tiny.
    index('messaging_outbox_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} is null`),
    index('messaging_outbox_published_at_idx').on(t.publishedAt).where(sql`${t.publishedAt} is not null`),
  ],
);

/**
 * Inbox: one row per (consumer, event) already handled. Inserted in the handler's transaction,
 * so a redelivered or duplicated message finds its row and is skipped.
 */
export const inbox = pgTable(
  'messaging_inbox',
  {
    consumer: text('consumer').notNull(),
    eventId: uuid('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] }), index('messaging_inbox_processed_at_idx').on(t.processedAt)],
);
