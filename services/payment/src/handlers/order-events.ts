import type { AnyEventDraft, DomainEvent, EventType, OrderCancelled, OrderPlaced } from '@orderflow/contracts';
import type { BatchEventHandler, EventHandler } from '@orderflow/messaging';
import { lockAndReadOrders, lockOrder, orderPlacedBatches, placedOrderReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import type { PaymentSchema } from '../db/schema.js';
import {
  deleteWaitingStatement,
  findPaymentForUpdate,
  insertPaymentOrdersStatement,
  insertPaymentsStatement,
  markCancelled,
  markRefunded,
  placedStates,
  type NewPayment,
  type PaymentOrderRow,
  type PaymentTx,
  type PlacedState,
} from '../db/repository.js';
import { decideCharge } from '../domain/authorization.js';
import { charge } from './charge.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.placed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Learns the payment token on `order.placed`, and charges a reservation that came before it;
 * refunds on `order.cancelled`. Both are safe to receive twice (as the same or a new event) and
 * in any order: the token row is written once, a waiting reservation is charged once (under the
 * order's lock, and deleted as it is), the tombstone stops a later charge, and only an
 * AUTHORIZED payment is refunded, so a second cancel finds it REFUNDED and emits nothing.
 */
export const handleOrderEvent: EventHandler<PaymentSchema> = (event, { tx, now }) => applyOrderEvent(tx, event, now);

async function applyOrderEvent(tx: PaymentTx, event: DomainEvent, now: Date): Promise<AnyEventDraft[]> {
  switch (event.type) {
    case 'order.placed':
      return (await rememberAll(tx, [event], now))[0]!;
    case 'order.cancelled':
      return refund(tx, event, now);
    default:
      return [];
  }
}

/**
 * What a batch of `order.placed` begins with, sent with the transaction's `begin` (the consumer's
 * `reads`): the orders' locks, then what payment knows of each (a reservation waiting for the
 * token, above all). A batch with a cancel in it reads nothing here: it runs event by event.
 */
export const orderEventReads = placedOrderReads(placedStates);

/**
 * `handleOrderEvent` for a whole transaction's events at once (the runner's batchHandler): a
 * batch of `order.placed` in two round trips, decided on what `orderEventReads` read, with the
 * tokens, the payments and the waiting reservations' deletion written at the commit. A batch with
 * a cancel in it runs event by event, in order, in the same transaction.
 */
export const handleOrderEvents: BatchEventHandler<PaymentSchema> = orderPlacedBatches<PaymentSchema>({
  single: applyOrderEvent,
  awaited: rememberAll,
  setBased: (placed, { now, read, atCommit }) => {
    const { results, ...writes } = rememberEach(placed, readUnderOrderLocks(read, placedStates), now);
    for (const statement of writesOf(writes)) atCommit(renderSql(statement));
    return results;
  },
});

/** One transaction's `order.placed`, each statement awaited: lock their orders, read, write. */
async function rememberAll(tx: PaymentTx, events: readonly OrderPlaced[], now: Date): Promise<AnyEventDraft[][]> {
  const known = await lockAndReadOrders(tx, events.map((e) => e.orderId), placedStates);
  const { results, ...writes } = rememberEach(events, known, now);
  for (const statement of writesOf(writes)) await tx.execute(statement);
  return results;
}

interface PlacedWrites {
  readonly orders: readonly PaymentOrderRow[];
  readonly payments: readonly NewPayment[];
  /** Orders whose waiting reservation was decided (charged, or skipped as cancelled or answered). */
  readonly settled: readonly string[];
}

function writesOf({ orders, payments, settled }: PlacedWrites) {
  return [
    ...(orders.length > 0 ? [insertPaymentOrdersStatement(orders)] : []),
    ...(payments.length > 0 ? [insertPaymentsStatement(payments)] : []),
    ...(settled.length > 0 ? [deleteWaitingStatement(settled)] : []),
  ];
}

/**
 * Each `order.placed` in delivery order: its token is remembered (even for a cancelled order:
 * harmless, and the tombstone is what stops a charge), and a reservation that waited for it is
 * decided now, as `inventory.reserved` would have been had the token been there. The payment
 * event names the reservation as its cause.
 */
function rememberEach(events: readonly OrderPlaced[], known: Map<string, PlacedState>, now: Date): { results: AnyEventDraft[][] } & PlacedWrites {
  const orders: PaymentOrderRow[] = [];
  const payments: NewPayment[] = [];
  const settled: string[] = [];
  const results = events.map((event): AnyEventDraft[] => {
    const { orderId } = event;
    const { paymentToken, customerId, customerEmail } = event.data;
    orders.push({ orderId, paymentToken, customerId, customerEmail, receivedAt: now });
    const state = known.get(orderId)!;
    if (state.waiting === undefined) return [];
    known.set(orderId, { ...state, answered: true, waiting: undefined });
    settled.push(orderId);
    const decision = decideCharge({ cancelled: state.cancelled, answered: state.answered, paymentToken });
    if (decision.kind === 'skip' || decision.kind === 'wait') return [];
    const { amountCents, currency, eventId } = state.waiting;
    const { row, draft } = charge(decision, { orderId, amountCents, currency, causationId: eventId }, now);
    payments.push(row);
    return [draft];
  });
  return { results, orders, payments, settled };
}

async function refund(tx: PaymentTx, event: OrderCancelled, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  await markCancelled(tx, orderId, now);
  await tx.execute(deleteWaitingStatement([orderId])); // a reservation still waiting is never charged now
  const payment = await findPaymentForUpdate(tx, orderId);
  if (payment?.status !== 'AUTHORIZED') return []; // nothing taken (yet), declined, or refunded already
  await markRefunded(tx, payment.paymentId, now);
  return [
    {
      type: 'payment.refunded',
      orderId,
      data: { paymentId: payment.paymentId, amountCents: payment.amountCents, currency: payment.currency },
    },
  ];
}
