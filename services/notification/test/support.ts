import { randomUUID } from 'node:crypto';
import { createEvent, exampleEvent, type CancellationReason, type OrderCancelled, type OrderConfirmed } from '@orderflow/contracts';
import type { NotificationSender, OutgoingMessage } from '../src/service.js';

/** A fresh `order.confirmed` as the order service emits it (or the same facts in a new envelope). */
export function confirmed(orderId: string = randomUUID(), customerEmail = `c-${orderId.slice(0, 8)}@example.com`): OrderConfirmed {
  const { data } = exampleEvent('order.confirmed');
  return createEvent(
    { type: 'order.confirmed', orderId, data: { ...data, customerEmail, amountCents: 4_200, trackingNumber: `TRK-${orderId.slice(0, 8)}` } },
    { source: 'order', correlationId: `corr-${orderId}` },
  );
}

export function cancelled(orderId: string, reason: CancellationReason = 'CANCELLED_BY_CUSTOMER', customerEmail = `c-${orderId.slice(0, 8)}@example.com`): OrderCancelled {
  return createEvent(
    { type: 'order.cancelled', orderId, data: { reason, customerId: 'cus_1', customerEmail } },
    { source: 'order', correlationId: `corr-${orderId}` },
  );
}

/** A sender that keeps what it sent; `failures` first calls throw (a mail server that is down). */
export function recordingSender(failures = 0): NotificationSender & { readonly sent: OutgoingMessage[]; attempts: number } {
  const sent: OutgoingMessage[] = [];
  const sender = {
    channel: 'log' as const,
    sent,
    attempts: 0,
    async send(message: OutgoingMessage) {
      sender.attempts += 1;
      if (sender.attempts <= failures) throw new Error(`mail server down (attempt ${sender.attempts})`);
      sent.push(message);
    },
  };
  return sender;
}
