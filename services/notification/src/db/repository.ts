import { and, asc, desc, eq } from 'drizzle-orm';
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
