import type { AnyEventDraft, DomainEvent, EventType, PaymentAuthorized } from '@orderflow/contracts';
import type { BatchEventHandler, EventHandler, ParameterizedQuery } from '@orderflow/messaging';
import { lockAndReadOrders, lockAndReadOrdersReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { ShippingSchema } from '../db/schema.js';
import {
  dispatchStates,
  insertShipmentsStatement,
  insertWaitingStatement,
  recordOutcomesStatement,
  type NewShipment,
  type Outcome,
  type ShippingTx,
  type WaitingPayment,
} from '../db/repository.js';
import { decideDispatch, type DispatchState } from '../domain/shipment.js';
import { dispatch } from './dispatch.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_PAYMENT_EVENTS = ['payment.authorized'] as const satisfies readonly EventType[];

/**
 * Schedules a shipment on `payment.authorized`. Declines never reach shipping's concern (the
 * order cancels), and a refund follows a cancel, which arrives on the order stream. A payment
 * that came before its order's `order.placed` is kept, and that event dispatches it (see
 * `waitingPayments`).
 */
export const handlePaymentEvent: EventHandler<ShippingSchema> = async (event, { tx, now }) => (await dispatchAll(tx, [event], now))[0]!;

/**
 * What a batch of authorized payments begins with, sent with the transaction's `begin` (the
 * consumer's `reads`): its orders' locks, then what shipping knows of each, read under them.
 */
export function paymentEventReads(events: readonly DomainEvent[]): ParameterizedQuery[] {
  return lockAndReadOrdersReads(orderIdsOf(events), dispatchStates);
}

/**
 * `handlePaymentEvent` for a whole transaction's events at once (the runner's batchHandler):
 * decided on what `paymentEventReads` read, the shipments and outcomes written at the commit. Two
 * round trips whatever the batch's size.
 */
export const handlePaymentEvents: BatchEventHandler<ShippingSchema> = async (events, { now, read, atCommit }) => {
  const { results, ...writes } = dispatchEach(events, readUnderOrderLocks(read, dispatchStates), now);
  for (const statement of writesOf(writes, now)) atCommit(renderSql(statement));
  return results;
};

/** The statements that write a batch's decisions: shipments, outcomes, and the payments that wait for their order. */
function writesOf({ shipmentRows, outcomes, waiting }: { shipmentRows: NewShipment[]; outcomes: Outcome[]; waiting: WaitingPayment[] }, now: Date) {
  return [
    ...(shipmentRows.length > 0 ? [insertShipmentsStatement(shipmentRows)] : []),
    ...(outcomes.length > 0 ? [recordOutcomesStatement(outcomes, now)] : []),
    ...(waiting.length > 0 ? [insertWaitingStatement(waiting)] : []),
  ];
}

const orderIdsOf = (events: readonly DomainEvent[]) => [...new Set(events.filter((e): e is PaymentAuthorized => e.type === 'payment.authorized').map((e) => e.orderId))];

/** One transaction's authorized payments, each statement awaited: lock, read, insert the shipments, record the outcomes, keep the waiting. */
async function dispatchAll(tx: ShippingTx, events: readonly DomainEvent[], now: Date): Promise<AnyEventDraft[][]> {
  const known = await lockAndReadOrders(tx, orderIdsOf(events), dispatchStates);
  const { results, ...writes } = dispatchEach(events, known, now);
  for (const statement of writesOf(writes, now)) await tx.execute(statement);
  return results;
}

/**
 * Decides each authorized payment in delivery order on what shipping knows of its order (`known`,
 * read under the orders' locks), so a second authorization of one order in the same batch finds
 * it decided (or waiting). Returns each event's drafts, the shipments to insert, the outcomes to
 * record and the payments that wait for their order's address.
 */
function dispatchEach(
  events: readonly DomainEvent[],
  known: Map<string, DispatchState>,
  now: Date,
): { results: AnyEventDraft[][]; shipmentRows: NewShipment[]; outcomes: Outcome[]; waiting: WaitingPayment[] } {
  const shipmentRows: NewShipment[] = [];
  const outcomes: Outcome[] = [];
  const waiting = new Map<string, WaitingPayment>();
  const results = events.map((event): AnyEventDraft[] => {
    if (event.type !== 'payment.authorized') return [];
    const { orderId } = event;
    const state = known.get(orderId)!;
    const shipmentId = randomUUID();
    const decision = decideDispatch(state, shipmentId);
    if (decision.kind === 'ignore') return [];
    if (decision.kind === 'wait') {
      // The address travels in order.placed on another stream, not consumed here yet: the payment
      // is kept (the first of an order, if it came twice), and that event will dispatch it. Acked,
      // so it holds back nothing and waits on no redelivery.
      if (!waiting.has(orderId)) waiting.set(orderId, { orderId, eventId: event.id, receivedAt: now });
      return [];
    }
    known.set(orderId, { ...state, decided: true });
    const { shipment, outcome, draft } = dispatch(decision, { orderId, shipmentId }, now);
    if (shipment !== undefined) shipmentRows.push(shipment);
    outcomes.push(outcome);
    return [draft];
  });
  return { results, shipmentRows, outcomes, waiting: [...waiting.values()] };
}
