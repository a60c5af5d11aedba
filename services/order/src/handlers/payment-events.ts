import type { EventHandler } from '@orderflow/messaging';
import type { OrderSchema } from '../db/schema.js';
import { applyEvent } from './apply-event.js';

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
