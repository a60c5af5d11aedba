import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { arrayParam } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { notifications, type NotificationSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the notification schema. */
export type NotificationTx = NodePgDatabase<NotificationSchema>;

export type Notification = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

/**
 * Claims the notification of an order's final state. Returns the new row, or undefined when the
 * order was already notified of that state (a duplicate or re-published fact). A concurrent
 * claim of the same `(order_id, kind)` waits on the unique index until the first commits or
 * rolls back, so two replicas never both send.
 */
export async function claimNotification(tx: NotificationTx, row: NewNotification): Promise<Notification | undefined> {
  const rows = await tx.insert(notifications).values(row).onConflictDoNothing({ target: [notifications.orderId, notifications.kind] }).returning();
  return rows[0];
}

/** The claimed rows of {@link claimNotifications}: what `notification.sent` reports. */
export interface ClaimedNotification {
  readonly id: string;
  readonly orderId: string;
  readonly kind: Notification['kind'];
  readonly recipient: string;
  readonly channel: Notification['channel'];
}

/**
 * {@link claimNotification} for many rows in one statement: returns the rows it inserted; a row
 * whose `(order_id, kind)` was already notified (or comes twice in `rows`) inserts nothing.
 */
export async function claimNotifications(tx: NotificationTx, rows: readonly (NewNotification & { sentAt: Date })[]): Promise<ClaimedNotification[]> {
  if (rows.length === 0) return [];
  const result = await tx.execute<{ id: string; order_id: string; kind: Notification['kind']; recipient: string; channel: Notification['channel'] }>(sql`
    insert into ${notifications} (order_id, kind, recipient, channel, subject, body, sent_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.kind)}::text[], ${arrayParam(rows, (r) => r.recipient)}::text[],
                         ${arrayParam(rows, (r) => r.channel)}::text[], ${arrayParam(rows, (r) => r.subject)}::text[], ${arrayParam(rows, (r) => r.body)}::text[],
                         ${arrayParam(rows, (r) => r.sentAt.toISOString())}::timestamptz[])
    on conflict (order_id, kind) do nothing
    returning id, order_id, kind, recipient, channel`);
  return result.rows.map((r) => ({ id: r.id, orderId: r.order_id, kind: r.kind, recipient: r.recipient, channel: r.channel }));
}

/** Takes claims back (their message could not be sent), so a retry can claim them again. */
export async function unclaimNotifications(tx: NotificationTx, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(sql`delete from ${notifications} where id = any(${arrayParam(ids, (id) => id)}::uuid[])`);
}

/** Of `orderIds`, those already notified of `kind`. */
export async function ordersNotifiedOf(tx: NotificationTx, orderIds: readonly string[], kind: Notification['kind']): Promise<Set<string>> {
  if (orderIds.length === 0) return new Set();
  const result = await tx.execute<{ order_id: string }>(
    sql`select order_id from ${notifications} where kind = ${kind} and order_id = any(${arrayParam(orderIds, (id) => id)}::uuid[])`,
  );
  return new Set(result.rows.map((r) => r.order_id));
}

export async function hasNotification(tx: NotificationTx, orderId: string, kind: Notification['kind']): Promise<boolean> {
  const rows = await tx
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.orderId, orderId), eq(notifications.kind, kind)));
  return rows.length > 0;
}

/** The notifications of one order, oldest first (the order's story as the customer got it). */
export async function listNotificationsOfOrder(tx: NotificationTx, orderId: string): Promise<Notification[]> {
  return tx.select().from(notifications).where(eq(notifications.orderId, orderId)).orderBy(asc(notifications.sentAt), asc(notifications.kind));
}

/** The latest `limit` notifications of all orders, newest first. */
export async function listLatestNotifications(tx: NotificationTx, limit: number): Promise<Notification[]> {
  return tx.select().from(notifications).orderBy(desc(notifications.sentAt), desc(notifications.id)).limit(limit);
}
