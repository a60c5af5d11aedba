// Event chains for the tests, built the way services build them (createEvent with a cause).
import { randomUUID } from 'node:crypto';
import { createEvent, type DomainEvent } from '@orderflow/contracts';
import type { TracedEvent } from '../src/trace.js';

const address = { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

/**
 * An order declined by payment, then cancelled and compensated:
 *
 *   order.placed
 *   └─ inventory.reserved
 *      └─ payment.declined
 *         └─ order.cancelled
 *            ├─ inventory.released
 *            └─ notification.sent
 *
 * Times are t0 + 0, 20, 45, 60, 80, 95 ms.
 */
export function declinedOrder(options: { orderId?: string; correlationId?: string; t0?: Date } = {}) {
  const orderId = options.orderId ?? randomUUID();
  const t0 = (options.t0 ?? new Date('2025-01-02T03:04:05.000Z')).getTime();
  const at = (ms: number) => new Date(t0 + ms);
  const placed = createEvent(
    {
      type: 'order.placed',
      orderId,
      data: {
        customerId: 'c-42',
        customerEmail: 'ada@example.com',
        items: [{ sku: 'KEYBOARD-01', quantity: 1 }],
        shippingAddress: address,
        paymentToken: 'tok_declined',
      },
    },
    { source: 'order', correlationId: options.correlationId ?? `demo-${randomUUID().slice(0, 8)}`, now: at(0) },
  );
  const reserved = createEvent(
    {
      type: 'inventory.reserved',
      orderId,
      data: { lines: [{ sku: 'KEYBOARD-01', quantity: 1, unitPriceCents: 8900 }], amountCents: 8900, currency: 'EUR' },
    },
    { source: 'inventory', cause: placed, now: at(20) },
  );
  const declined = createEvent(
    { type: 'payment.declined', orderId, data: { reason: 'PAYMENT_DECLINED', amountCents: 8900, currency: 'EUR' } },
    { source: 'payment', cause: reserved, now: at(45) },
  );
  const cancelled = createEvent(
    { type: 'order.cancelled', orderId, data: { reason: 'PAYMENT_DECLINED', customerId: 'c-42', customerEmail: 'ada@example.com' } },
    { source: 'order', cause: declined, now: at(60) },
  );
  const released = createEvent(
    { type: 'inventory.released', orderId, data: { lines: [{ sku: 'KEYBOARD-01', quantity: 1 }] } },
    { source: 'inventory', cause: cancelled, now: at(80) },
  );
  const notified = createEvent(
    {
      type: 'notification.sent',
      orderId,
      data: { notificationId: randomUUID(), kind: 'order.cancelled', recipient: 'ada@example.com', channel: 'log' },
    },
    { source: 'notification', cause: cancelled, now: at(95) },
  );
  return { orderId, correlationId: placed.correlationId, placed, reserved, declined, cancelled, released, notified };
}

/** How `declinedOrder` prints: the EVENT column of the trace table. */
export const declinedOrderTree: readonly string[] = [
  'order.placed',
  '└─ inventory.reserved',
  '   └─ payment.declined',
  '      └─ order.cancelled',
  '         ├─ inventory.released',
  '         └─ notification.sent',
];

/** The events of a chain in a scrambled order (as several streams return them). */
export function chainEvents(chain: ReturnType<typeof declinedOrder>): DomainEvent[] {
  return [chain.notified, chain.cancelled, chain.placed, chain.released, chain.declined, chain.reserved];
}

/** Wraps events as if read from their streams. */
export function traced(events: readonly DomainEvent[]): TracedEvent[] {
  return events.map((event, i) => ({ stream: event.source.toUpperCase(), seq: i + 1, subject: `${event.type}.${event.orderId}`, event, raw: event }));
}
