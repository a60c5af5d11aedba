import type { EventType } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { OrderSchema } from '../db/schema.js';
import { applyEvent } from './apply-event.js';

/** The types this consumer applies (every other type of the stream is ignored). */
export const PAYMENT_EVENTS = ['payment.authorized', 'payment.declined', 'payment.refunded'] as const satisfies readonly EventType[];

/**
 * `order-payment-events`: payment.declined cancels a PENDING order (PAYMENT_DECLINED);
 * payment.authorized and payment.refunded only go on the timeline (shipping acts on the
 * authorization; the order waits for shipment.scheduled).
 */
export const handlePaymentEvent: EventHandler<OrderSchema> = async (event, ctx) => {
  switch (event.type) {
    case 'payment.authorized':
    case 'payment.declined':
    case 'payment.refunded':
      return applyEvent(event, ctx);
    default:
      return [];
  }
};
