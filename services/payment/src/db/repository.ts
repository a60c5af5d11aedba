import { desc, eq, sql, type SQL } from 'drizzle-orm';
import { arrayParam, statementTemplate } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { ChargeState } from '../domain/authorization.js';
import { cancelledOrders, paymentOrders, payments, type PaymentSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the payment schema. */
export type PaymentTx = NodePgDatabase<PaymentSchema>;

export type Payment = typeof payments.$inferSelect;
export type PaymentOrder = typeof paymentOrders.$inferSelect;
export type NewPayment = typeof payments.$inferInsert & { createdAt: Date };

/**
 * What payment knows of each order (`decideCharge`'s input), in one statement: its tombstone,
 * whether it was answered, the token from `order.placed`. Read under the orders' locks.
 */
export async function chargeStates(tx: PaymentTx, orderIds: readonly string[]): Promise<(ChargeState & { orderId: string })[]> {
  if (orderIds.length === 0) return [];
  return chargeStatesOf((await tx.execute(chargeStatesStatement(orderIds))).rows);
}

/** The statement of `chargeStates`, not run (the consumer's `reads`); `chargeStatesOf` reads its rows. */
export function chargeStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      exists (select 1 from ${payments} p where p.order_id = o.id) as answered,
      (select po.payment_token from ${paymentOrders} po where po.order_id = o.id) as payment_token
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)`;
}

export function chargeStatesOf(rows: readonly Record<string, unknown>[]): (ChargeState & { orderId: string })[] {
  return (rows as readonly { order_id: string; cancelled: boolean; answered: boolean; payment_token: string | null }[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    answered: r.answered,
    paymentToken: r.payment_token ?? undefined,
  }));
}

/**
 * Payments, all in one statement. No ON CONFLICT: the caller holds the orders' locks and saw no
 * payment, so a conflict is a bug worth a rollback and retry rather than a silent second answer.
 */
export async function insertPayments(tx: PaymentTx, rows: readonly NewPayment[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(insertPaymentsStatement(rows));
}

/** The statement of `insertPayments`, not run (a batch handler's `atCommit`). */
export function insertPaymentsStatement(rows: readonly NewPayment[]): SQL {
  return sql`
    insert into ${payments} (payment_id, order_id, amount_cents, currency, status, created_at)
    select * from unnest(${arrayParam(rows, (r) => r.paymentId)}::uuid[], ${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.amountCents)}::int[],
                         ${arrayParam(rows, (r) => r.currency)}::text[], ${arrayParam(rows, (r) => r.status)}::text[], ${arrayParam(rows, (r) => r.createdAt.toISOString())}::timestamptz[])`;
}

export async function isCancelled(tx: PaymentTx, orderId: string): Promise<boolean> {
  return (await tx.select({ orderId: cancelledOrders.orderId }).from(cancelledOrders).where(eq(cancelledOrders.orderId, orderId))).length > 0;
}

/** Records the tombstone; idempotent. */
export async function markCancelled(tx: PaymentTx, orderId: string, at: Date): Promise<void> {
  await tx.insert(cancelledOrders).values({ orderId, cancelledAt: at }).onConflictDoNothing();
}

/** Remembers what `order.placed` told payment; a second copy of the fact changes nothing. */
export async function insertPaymentOrder(tx: PaymentTx, row: PaymentOrderRow): Promise<void> {
  await insertPaymentOrderStatement(tx, row);
}

type PaymentOrderRow = Required<typeof paymentOrders.$inferInsert>;

const insertPaymentOrderStatement = (db: PaymentTx, row: PaymentOrderRow) => db.insert(paymentOrders).values(row).onConflictDoNothing();

/** The insert of `insertPaymentOrder`, not yet run (the consumer runner's write-only path); built once. */
export const insertPaymentOrderQuery = statementTemplate<PaymentTx, PaymentOrderRow>(
  ['orderId', 'paymentToken', 'customerId', 'customerEmail', 'receivedAt'],
  insertPaymentOrderStatement,
);

/** The payment of an order (at most one), row-locked until commit. */
export async function findPaymentForUpdate(tx: PaymentTx, orderId: string): Promise<Payment | undefined> {
  return (await tx.select().from(payments).where(eq(payments.orderId, orderId)).for('update'))[0];
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
