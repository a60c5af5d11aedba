import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Transactional outbox: a queue, not a log. A row is written in the same transaction as the state
 * change that caused it; the relay publishes it to JetStream and, once the PubAck is in, deletes
 * it. Every row here is unpublished, so the primary key is the only index the relay needs, and a
 * published event costs one delete instead of an update (a new row version with two index
 * entries) and, a day later, a delete. The record of what was published is the stream.
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
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
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
  (t) => [
    primaryKey({ columns: [t.consumer, t.eventId] }),
    // For the prune only. Rows arrive in processed_at order, so a BRIN index (a min/max per range
    // of pages) finds the old ones; unlike a B-tree it adds no index entry per insert: the range
    // being filled stays unsummarized until a vacuum.
    index('messaging_inbox_processed_at_brin').using('brin', t.processedAt),
  ],
);
