import type { AnyEventDraft, DomainEvent, EventType, PaymentAuthorized } from '@orderflow/contracts';
import {
  draftsOrThrow,
  eventFailed,
  NotReadyError,
  type BatchEventHandler,
  type EventFailure,
  type EventHandler,
  type ParameterizedQuery,
} from '@orderflow/messaging';
import { lockAndReadOrders, lockAndReadOrdersReads, readUnderOrderLocks, renderSql } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { ShippingSchema } from '../db/schema.js';
import {
  dispatchStates,
  dispatchStatesOf,
  dispatchStatesStatement,
  insertShipments,
  insertShipmentsStatement,
  recordOutcomes,
  recordOutcomesStatement,
  type NewShipment,
  type Outcome,
  type ShippingTx,
} from '../db/repository.js';
import { decideDispatch, type DispatchState } from '../domain/shipment.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_PAYMENT_EVENTS = ['payment.authorized'] as const satisfies readonly EventType[];

/**
 * Schedules a shipment on `payment.authorized`. Declines never reach shipping's concern (the
 * order cancels), and a refund follows a cancel, which arrives on the order stream.
 */
export const handlePaymentEvent: EventHandler<ShippingSchema> = async (event, { tx, now }) => draftsOrThrow((await dispatchAll(tx, [event], now))[0]!);

/**
 * What a batch of authorized payments begins with, sent with the transaction's `begin` (the
 * consumer's `reads`): its orders' locks, then what shipping knows of each, read under them.
 */
export function paymentEventReads(events: readonly DomainEvent[]): ParameterizedQuery[] {
  return lockAndReadOrdersReads(orderIdsOf(events), dispatchStatesStatement);
}

/**
 * `handlePaymentEvent` for a whole transaction's events at once (the runner's batchHandler):
 * decided on what `paymentEventReads` read, the shipments and outcomes written at the commit. Two
 * round trips whatever the batch's size.
 */
export const handlePaymentEvents: BatchEventHandler<ShippingSchema> = async (events, { now, read, atCommit }) => {
  const { results, shipmentRows, outcomes } = dispatchEach(events, new Map(dispatchStatesOf(readUnderOrderLocks(read)).map((s) => [s.orderId, s])), now);
  if (shipmentRows.length > 0) atCommit(renderSql(insertShipmentsStatement(shipmentRows)));
  if (outcomes.length > 0) atCommit(renderSql(recordOutcomesStatement(outcomes, now)));
  return results;
};

const orderIdsOf = (events: readonly DomainEvent[]) => [...new Set(events.filter((e): e is PaymentAuthorized => e.type === 'payment.authorized').map((e) => e.orderId))];

/** One transaction's authorized payments, each statement awaited: lock, read, insert the shipments, record the outcomes. */
async function dispatchAll(tx: ShippingTx, events: readonly DomainEvent[], now: Date): Promise<(AnyEventDraft[] | EventFailure)[]> {
  const known = await lockAndReadOrders(tx, orderIdsOf(events), (ids) => dispatchStates(tx, ids));
  const { results, shipmentRows, outcomes } = dispatchEach(events, known, now);
  await insertShipments(tx, shipmentRows);
  await recordOutcomes(tx, outcomes, now);
  return results;
}

/**
 * Decides each authorized payment in delivery order on what shipping knows of its order (`known`,
 * read under the orders' locks), so a second authorization of one order in the same batch finds
 * it decided. Returns each event's drafts (or its failure), the shipments to insert and the
 * outcomes to record.
 */
function dispatchEach(
  events: readonly DomainEvent[],
  known: Map<string, DispatchState>,
  now: Date,
): { results: (AnyEventDraft[] | EventFailure)[]; shipmentRows: NewShipment[]; outcomes: Outcome[] } {
  const shipmentRows: NewShipment[] = [];
  const outcomes: Outcome[] = [];
  const results = events.map((event): AnyEventDraft[] | EventFailure => {
    if (event.type !== 'payment.authorized') return [];
    const { orderId } = event;
    const state = known.get(orderId)!;
    const shipmentId = randomUUID();
    const decision = decideDispatch(state, shipmentId);
    if (decision.kind === 'ignore') return [];
    if (decision.kind === 'retry') {
      // The address travels in order.placed on another stream, not consumed here yet: this event
      // is nak'd and retried, never dropped, and the others of its batch commit. Thrown, it would
      // roll the batch back and re-run each of its events alone.
      return eventFailed(new NotReadyError(`payment.authorized for order ${orderId} before its order.placed; retrying`));
    }
    known.set(orderId, { ...state, decided: true });
    if (decision.kind === 'fail') {
      outcomes.push({ orderId, outcome: 'FAILED', failureReason: decision.reason });
      return [{ type: 'shipment.failed', orderId, data: { reason: decision.reason, country: decision.country } }];
    }
    shipmentRows.push({ shipmentId, orderId, status: 'SCHEDULED', trackingNumber: decision.trackingNumber, createdAt: now });
    outcomes.push({ orderId, outcome: 'SCHEDULED', failureReason: null });
    return [{ type: 'shipment.scheduled', orderId, data: { shipmentId, trackingNumber: decision.trackingNumber } }];
  });
  return { results, shipmentRows, outcomes };
}
