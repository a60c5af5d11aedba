import { describe, expect, it } from 'vitest';
import { CancellationReasonSchema, type CancellationReason } from '@orderflow/contracts';
import { renderNotification } from '../src/domain/message.js';

const orderId = '0b7c1f1e-3f6a-4c55-9d1c-2f8e0d6b5a11';
const to = 'ada@example.com';

describe('renderNotification', () => {
  it('given order.confirmed, tells the amount and tracking number', () => {
    expect(
      renderNotification({ kind: 'order.confirmed', orderId, to, amountCents: 2_850, currency: 'EUR', trackingNumber: 'TRK-0001' }),
    ).toEqual({
      to,
      subject: `Order ${orderId} confirmed`,
      text: `Your order ${orderId} is confirmed: 28.50 EUR. Tracking number: TRK-0001.`,
    });
  });

  it('formats whole and sub-unit amounts with two decimals', () => {
    const text = (amountCents: number) =>
      renderNotification({ kind: 'order.confirmed', orderId, to, amountCents, currency: 'USD', trackingNumber: 'T' }).text;
    expect(text(5)).toContain('0.05 USD');
    expect(text(100_000)).toContain('1000.00 USD');
  });

  const expected: Record<CancellationReason, string> = {
    OUT_OF_STOCK: 'because an item is out of stock. You have not been charged.',
    UNKNOWN_SKU: 'because an item is not in our catalogue. You have not been charged.',
    PAYMENT_DECLINED: 'because the payment was declined. You have not been charged.',
    SHIPPING_UNAVAILABLE: 'because we cannot ship to your address. Any payment has been refunded.',
    CANCELLED_BY_CUSTOMER: 'because you cancelled it. Any payment has been refunded.',
  };

  it('covers every cancellation reason of the contract', () => {
    expect(Object.keys(expected).sort()).toEqual([...CancellationReasonSchema.options].sort());
  });

  it.each(CancellationReasonSchema.options)('given order.cancelled for %s, says why and whether money moved', (reason) => {
    expect(renderNotification({ kind: 'order.cancelled', orderId, to, reason })).toEqual({
      to,
      subject: `Order ${orderId} cancelled`,
      text: `Your order ${orderId} was cancelled ${expected[reason]}`,
    });
  });
});
