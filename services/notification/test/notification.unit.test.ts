import { describe, expect, it } from 'vitest';
import { exampleEvent } from '@orderflow/contracts';
import { decideNotification } from '../src/domain/notification.js';

const fresh = { cancellationSent: false };

describe('decideNotification', () => {
  it('given order.confirmed, notifies the customer email with amount and tracking number', () => {
    const e = exampleEvent('order.confirmed', { data: { customerEmail: 'grace@example.com', amountCents: 1_200, trackingNumber: 'TRK-9' } });
    expect(decideNotification(e, fresh)).toEqual({
      kind: 'notify',
      input: { kind: 'order.confirmed', orderId: e.orderId, to: 'grace@example.com', amountCents: 1_200, currency: 'EUR', trackingNumber: 'TRK-9' },
    });
  });

  it('given order.cancelled, notifies with the reason', () => {
    const e = exampleEvent('order.cancelled', { data: { reason: 'PAYMENT_DECLINED' } });
    expect(decideNotification(e, fresh)).toEqual({
      kind: 'notify',
      input: { kind: 'order.cancelled', orderId: e.orderId, to: 'ada@example.com', reason: 'PAYMENT_DECLINED' },
    });
  });

  it('given the cancellation was already sent, drops a late order.confirmed as stale', () => {
    expect(decideNotification(exampleEvent('order.confirmed'), { cancellationSent: true })).toEqual({
      kind: 'ignore',
      reason: 'STALE_CONFIRMATION',
    });
  });

  it('given the cancellation was already sent, still lets order.cancelled through (the unique key drops the duplicate)', () => {
    expect(decideNotification(exampleEvent('order.cancelled'), { cancellationSent: true }).kind).toBe('notify');
  });

  it.each(['order.placed', 'inventory.reserved', 'payment.authorized', 'shipment.scheduled', 'notification.sent'] as const)(
    'ignores %s (not a final state)',
    (type) => {
      expect(decideNotification(exampleEvent(type), fresh)).toEqual({ kind: 'ignore', reason: 'NOT_A_FINAL_STATE' });
    },
  );
});
