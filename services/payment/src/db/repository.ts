import { desc, eq, sql, type SQL } from 'drizzle-orm';
import { arrayParam, type OrderStatesRead } from '@orderflow/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { ChargeState } from '../domain/authorization.js';
import { cancelledOrders, paymentOrders, payments, waitingReservations, type PaymentSchema } from './schema.js';

/** A transaction (or the runner's transaction-bound db) over the payment schema. */
export type PaymentTx = NodePgDatabase<PaymentSchema>;

export type Payment = typeof payments.$inferSelect;
export type PaymentOrder = typeof paymentOrders.$inferSelect;
export type NewPayment = typeof payments.$inferInsert & { createdAt: Date };
export type WaitingReservation = typeof waitingReservations.$inferSelect;

/** The statement of `chargeStates`; `chargeStatesOf` reads its rows. */
function chargeStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      exists (select 1 from ${payments} p where p.order_id = o.id) as answered,
      (select po.payment_token from ${paymentOrders} po where po.order_id = o.id) as payment_token
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)`;
}

function chargeStatesOf(rows: readonly Record<string, unknown>[]): (ChargeState & { orderId: string })[] {
  return (rows as readonly { order_id: string; cancelled: boolean; answered: boolean; payment_token: string | null }[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    answered: r.answered,
    paymentToken: r.payment_token ?? undefined,
  }));
}

/**
 * What payment knows of each order (`decideCharge`'s input), in one statement: its tombstone,
 * whether it was answered, the token from `order.placed`. Read under the orders' locks.
 * (service-kit `lockAndReadOrders`, or its two round trips).
 */
export const chargeStates: OrderStatesRead<ChargeState & { orderId: string }> = { statement: chargeStatesStatement, statesOf: chargeStatesOf };

/**
 * Payments, all in one statement. No ON CONFLICT: the caller holds the orders' locks and saw no
 * payment, so a conflict is a bug worth a rollback and retry rather than a silent second answer.
 */
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

export type PaymentOrderRow = Required<typeof paymentOrders.$inferInsert>;

/**
 * Remembers what `order.placed` told payment, all rows in one statement; a second copy of a fact
 * changes nothing.
 */
export function insertPaymentOrdersStatement(rows: readonly PaymentOrderRow[]): SQL {
  return sql`
    insert into ${paymentOrders} (order_id, payment_token, customer_id, customer_email, received_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.paymentToken)}::text[], ${arrayParam(rows, (r) => r.customerId)}::text[],
                         ${arrayParam(rows, (r) => r.customerEmail)}::text[], ${arrayParam(rows, (r) => r.receivedAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

/** What payment knows of an order when its `order.placed` arrives: tombstone, payment, and a reservation waiting for the token. */
export interface PlacedState {
  readonly orderId: string;
  readonly cancelled: boolean;
  readonly answered: boolean;
  readonly waiting: Pick<WaitingReservation, 'eventId' | 'amountCents' | 'currency'> | undefined;
}

/** What payment knows of each order of a batch of `order.placed`, in one statement; read under the orders' locks. */
function placedStatesStatement(orderIds: readonly string[]): SQL {
  return sql`
    select o.id as order_id,
      exists (select 1 from ${cancelledOrders} c where c.order_id = o.id) as cancelled,
      exists (select 1 from ${payments} p where p.order_id = o.id) as answered,
      w.event_id as waiting_event_id, w.amount_cents as waiting_amount_cents, w.currency as waiting_currency
    from unnest(${sql.param([...orderIds])}::uuid[]) as o(id)
    left join ${waitingReservations} w on w.order_id = o.id`;
}

function placedStatesOf(rows: readonly Record<string, unknown>[]): PlacedState[] {
  type Row = {
    order_id: string;
    cancelled: boolean;
    answered: boolean;
    waiting_event_id: string | null;
    waiting_amount_cents: number | null;
    waiting_currency: string | null;
  };
  return (rows as readonly Row[]).map((r) => ({
    orderId: r.order_id,
    cancelled: r.cancelled,
    answered: r.answered,
    waiting: r.waiting_event_id === null ? undefined : { eventId: r.waiting_event_id, amountCents: r.waiting_amount_cents!, currency: r.waiting_currency! },
  }));
}

/** What a batch of `order.placed` reads under the orders' locks (service-kit `lockAndReadOrders`, or its two round trips). */
export const placedStates: OrderStatesRead<PlacedState> = { statement: placedStatesStatement, statesOf: placedStatesOf };

/** Keeps reservations that came before their order's token; one already waiting for an order stays. */
export function insertWaitingStatement(rows: readonly WaitingReservation[]): SQL {
  return sql`
    insert into ${waitingReservations} (order_id, event_id, amount_cents, currency, received_at)
    select * from unnest(${arrayParam(rows, (r) => r.orderId)}::uuid[], ${arrayParam(rows, (r) => r.eventId)}::uuid[], ${arrayParam(rows, (r) => r.amountCents)}::int[],
                         ${arrayParam(rows, (r) => r.currency)}::text[], ${arrayParam(rows, (r) => r.receivedAt.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

/** Forgets the waiting reservations of orders that were answered (or cancelled). */
export function deleteWaitingStatement(orderIds: readonly string[]): SQL {
  return sql`delete from ${waitingReservations} where order_id = any(${sql.param([...orderIds])}::uuid[])`;
}

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
