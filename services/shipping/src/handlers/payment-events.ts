import type { AnyEventDraft, DomainEvent, EventType, PaymentAuthorized } from '@orderflow/contracts';
import { NotReadyError, type BatchEventHandler, type EventHandler } from '@orderflow/messaging';
import { lockAndReadOrders } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { ShippingSchema } from '../db/schema.js';
import { dispatchStates, insertShipments, recordOutcomes, type NewShipment, type Outcome, type ShippingTx } from '../db/repository.js';
import { decideDispatch } from '../domain/shipment.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_PAYMENT_EVENTS = ['payment.authorized'] as const satisfies readonly EventType[];

/**
 * Schedules a shipment on `payment.authorized`. Declines never reach shipping's concern (the
 * order cancels), and a refund follows a cancel, which arrives on the order stream.
 */
export const handlePaymentEvent: EventHandler<ShippingSchema> = async (event, { tx, now }) => (await dispatchAll(tx, [event], now))[0]!;

/** `handlePaymentEvent` for a whole transaction's events at once (the runner's batchHandler). */
export const handlePaymentEvents: BatchEventHandler<ShippingSchema> = (events, { tx, now }) => dispatchAll(tx, events, now);

/**
 * Dispatches a batch of authorized payments in four statements whatever its size: lock their
 * orders, read what shipping knows of each, insert the shipments, record the outcomes. Decided in
 * delivery order, so a second authorization of one order in the same batch finds it decided.
 */
async function dispatchAll(tx: ShippingTx, events: readonly DomainEvent[], now: Date): Promise<AnyEventDraft[][]> {
  const authorized = events.filter((e): e is PaymentAuthorized => e.type === 'payment.authorized');
  const known = await lockAndReadOrders(
    tx,
    authorized.map((e) => e.orderId),
    (ids) => dispatchStates(tx, ids),
  );
  const shipmentRows: NewShipment[] = [];
  const outcomes: Outcome[] = [];
  const results = events.map((event): AnyEventDraft[] => {
    if (event.type !== 'payment.authorized') return [];
    const { orderId } = event;
    const state = known.get(orderId)!;
    const shipmentId = randomUUID();
    const decision = decideDispatch(state, shipmentId);
    if (decision.kind === 'ignore') return [];
    if (decision.kind === 'retry') {
      // The address travels in order.placed on another stream, not consumed here yet. An ordinary
      // Error rolls back and naks with backoff, so the payment is retried, never dropped.
      throw new NotReadyError(`payment.authorized for order ${orderId} before its order.placed; retrying`);
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
  await insertShipments(tx, shipmentRows);
  await recordOutcomes(tx, outcomes, now);
  return results;
}
