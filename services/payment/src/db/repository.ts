import { desc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { cancelledOrders, paymentOrders, payments, type PaymentSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the payment schema. */
export type PaymentTx = NodePgDatabase<PaymentSchema>;

export type Payment = typeof payments.$inferSelect;
export type PaymentOrder = typeof paymentOrders.$inferSelect;

export async function isCancelled(tx: PaymentTx, orderId: string): Promise<boolean> {
  return (await tx.select({ orderId: cancelledOrders.orderId }).from(cancelledOrders).where(eq(cancelledOrders.orderId, orderId))).length > 0;
}

/** Records the tombstone; idempotent. */
export async function markCancelled(tx: PaymentTx, orderId: string, at: Date): Promise<void> {
  await tx.insert(cancelledOrders).values({ orderId, cancelledAt: at }).onConflictDoNothing();
}

/** Remembers what `order.placed` told payment; a second copy of the fact changes nothing. */
export async function insertPaymentOrder(tx: PaymentTx, row: typeof paymentOrders.$inferInsert): Promise<void> {
  await insertPaymentOrderQuery(tx, row);
}

/** The insert of `insertPaymentOrder`, not yet run (the consumer runner's write-only path). */
export function insertPaymentOrderQuery(tx: PaymentTx, row: typeof paymentOrders.$inferInsert) {
  return tx.insert(paymentOrders).values(row).onConflictDoNothing();
}

export async function findPaymentOrder(tx: PaymentTx, orderId: string): Promise<PaymentOrder | undefined> {
  return (await tx.select().from(paymentOrders).where(eq(paymentOrders.orderId, orderId)))[0];
}

/** The payment of an order (at most one), row-locked until commit. */
export async function findPaymentForUpdate(tx: PaymentTx, orderId: string): Promise<Payment | undefined> {
  return (await tx.select().from(payments).where(eq(payments.orderId, orderId)).for('update'))[0];
}

export async function insertPayment(tx: PaymentTx, row: typeof payments.$inferInsert): Promise<void> {
  // No ON CONFLICT: the caller holds the order lock and saw no payment, so a conflict is a bug
  // worth a rollback and retry rather than a silent second answer.
  await tx.insert(payments).values(row);
}

export async function markRefunded(tx: PaymentTx, paymentId: string, at: Date): Promise<void> {
  await tx.update(payments).set({ status: 'REFUNDED', refundedAt: at }).where(eq(payments.paymentId, paymentId));
}

/** Payments of one order, or the latest `limit` of all orders; newest first. */
export async function listPayments(tx: PaymentTx, filter: { orderId?: string | undefined; limit: number }): Promise<Payment[]> {
  return tx
    .select()
    .from(payments)
    .where(filter.orderId === undefined ? undefined : eq(payments.orderId, filter.orderId))
    .orderBy(desc(payments.createdAt), desc(payments.paymentId))
    .limit(filter.limit);
}
