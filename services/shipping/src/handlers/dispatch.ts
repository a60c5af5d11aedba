import type { AnyEventDraft } from '@orderflow/contracts';
import type { NewShipment, Outcome } from '../db/repository.js';
import type { ShipmentDecision } from '../domain/shipment.js';

/**
 * The writes and the event of a shipment decision: both paths that dispatch (a payment that
 * finds its address, and an `order.placed` that finds a payment waiting) go through here.
 * `causationId`: the payment event's id, when the decision is made while handling another event.
 */
export function dispatch(
  decision: ShipmentDecision,
  order: { readonly orderId: string; readonly shipmentId: string; readonly causationId?: string | undefined },
  now: Date,
): { shipment: NewShipment | undefined; outcome: Outcome; draft: AnyEventDraft } {
  const { orderId, shipmentId, causationId } = order;
  const cause = causationId === undefined ? {} : { causationId };
  if (decision.kind === 'fail') {
    return {
      shipment: undefined,
      outcome: { orderId, outcome: 'FAILED', failureReason: decision.reason },
      draft: { type: 'shipment.failed', orderId, data: { reason: decision.reason, country: decision.country }, ...cause },
    };
  }
  const { trackingNumber } = decision;
  return {
    shipment: { shipmentId, orderId, status: 'SCHEDULED', trackingNumber, createdAt: now },
    outcome: { orderId, outcome: 'SCHEDULED', failureReason: null },
    draft: { type: 'shipment.scheduled', orderId, data: { shipmentId, trackingNumber }, ...cause },
  };
}
