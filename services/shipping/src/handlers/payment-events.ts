import type { EventType } from '@orderflow/contracts';
import { NotReadyError } from '@orderflow/messaging';
import { lockOrder } from '@orderflow/service-kit';
import { randomUUID } from 'node:crypto';
import type { AnyEventDraft, PaymentAuthorized } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { ShippingSchema } from '../db/schema.js';
import { findShippingOrder, insertShipment, isCancelled, recordOutcome, type ShippingTx } from '../db/repository.js';
import { decideDispatch } from '../domain/shipment.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_PAYMENT_EVENTS = ['payment.authorized'] as const satisfies readonly EventType[];

/**
 * Schedules a shipment on `payment.authorized`. Declines never reach shipping's concern (the
 * order cancels), and a refund follows a cancel, which arrives on the order stream.
 */
export const handlePaymentEvent: EventHandler<ShippingSchema> = async (event, { tx, now }) => {
  switch (event.type) {
    case 'payment.authorized':
      return dispatch(tx, event, now);
    default:
      return [];
  }
};

async function dispatch(tx: ShippingTx, event: PaymentAuthorized, now: Date): Promise<AnyEventDraft[]> {
  const { orderId } = event;
  await lockOrder(tx, orderId);
  const order = await findShippingOrder(tx, orderId);
  const shipmentId = randomUUID();
  const state = { cancelled: await isCancelled(tx, orderId), country: order?.country, decided: order?.outcome != null };
  const decision = decideDispatch(state, shipmentId);
  if (decision.kind === 'ignore') return [];
  if (decision.kind === 'retry') {
    // The address travels in order.placed on another stream, not consumed here yet. An ordinary
    // Error rolls back and naks with backoff, so the payment is retried, never dropped.
    throw new NotReadyError(`payment.authorized for order ${orderId} before its order.placed; retrying`);
  }
  if (decision.kind === 'fail') {
    await recordOutcome(tx, orderId, { outcome: 'FAILED', failureReason: decision.reason }, now);
    return [{ type: 'shipment.failed', orderId, data: { reason: decision.reason, country: decision.country } }];
  }
  await insertShipment(tx, { shipmentId, orderId, status: 'SCHEDULED', trackingNumber: decision.trackingNumber, createdAt: now });
  await recordOutcome(tx, orderId, { outcome: 'SCHEDULED' }, now);
  return [{ type: 'shipment.scheduled', orderId, data: { shipmentId, trackingNumber: decision.trackingNumber } }];
}
