import { describe, expect, it } from 'vitest';
import { exampleEvent } from '@orderflow/contracts';
import { decideOrder, orderInputOf, timelineFact, type OrderInput, type OrderState } from '../src/domain/order.js';

const pending: OrderState = { status: 'PENDING', amountCents: null, currency: null, trackingNumber: null };
const priced: OrderState = { status: 'PENDING', amountCents: 2850, currency: 'EUR', trackingNumber: null };
const scheduledFirst: OrderState = { status: 'PENDING', amountCents: null, currency: null, trackingNumber: 'TRK-1' };
const confirmed: OrderState = { status: 'CONFIRMED', amountCents: 2850, currency: 'EUR', trackingNumber: 'TRK-1' };
const cancelled: OrderState = { status: 'CANCELLED', amountCents: 2850, currency: 'EUR', trackingNumber: null };

const scheduled: OrderInput = { kind: 'shipment-scheduled', trackingNumber: 'TRK-1' };

describe('decideOrder', () => {
  describe('given a PENDING order with no amount yet', () => {
    it('when inventory reserved, records the amount', () => {
      expect(decideOrder(pending, { kind: 'reserved', amountCents: 2850, currency: 'EUR' })).toEqual({
        kind: 'record-amount',
        amountCents: 2850,
        currency: 'EUR',
      });
    });
    it('when the shipment is scheduled first (reordered), keeps its tracking number, no retry', () => {
      expect(decideOrder(pending, scheduled)).toEqual({ kind: 'record-tracking', trackingNumber: 'TRK-1' });
    });
    it('when inventory reserved after the shipment was scheduled, confirms with both', () => {
      expect(decideOrder(scheduledFirst, { kind: 'reserved', amountCents: 2850, currency: 'EUR' })).toEqual({
        kind: 'confirm',
        trackingNumber: 'TRK-1',
        amountCents: 2850,
        currency: 'EUR',
      });
    });
    it('when the shipment is scheduled twice before the amount, keeps the first', () => {
      expect(decideOrder(scheduledFirst, scheduled).kind).toBe('ignore');
    });
    it('when inventory rejected, cancels with its reason', () => {
      expect(decideOrder(pending, { kind: 'rejected', reason: 'OUT_OF_STOCK' })).toEqual({ kind: 'cancel', reason: 'OUT_OF_STOCK' });
      expect(decideOrder(pending, { kind: 'rejected', reason: 'UNKNOWN_SKU' })).toEqual({ kind: 'cancel', reason: 'UNKNOWN_SKU' });
    });
  });

  describe('given a PENDING order with its amount', () => {
    it('when the shipment is scheduled, confirms with the amount and tracking number', () => {
      expect(decideOrder(priced, scheduled)).toEqual({ kind: 'confirm', trackingNumber: 'TRK-1', amountCents: 2850, currency: 'EUR' });
    });
    it('when the payment is declined, cancels PAYMENT_DECLINED', () => {
      expect(decideOrder(priced, { kind: 'declined' })).toEqual({ kind: 'cancel', reason: 'PAYMENT_DECLINED' });
    });
    it('when the shipment failed, cancels SHIPPING_UNAVAILABLE', () => {
      expect(decideOrder(priced, { kind: 'shipment-failed' })).toEqual({ kind: 'cancel', reason: 'SHIPPING_UNAVAILABLE' });
    });
    it('when inventory reserved again (same fact, new event id), ignores it', () => {
      expect(decideOrder(priced, { kind: 'reserved', amountCents: 2850, currency: 'EUR' }).kind).toBe('ignore');
    });
    it('when the customer cancels, cancels CANCELLED_BY_CUSTOMER', () => {
      expect(decideOrder(priced, { kind: 'customer-cancel' })).toEqual({ kind: 'cancel', reason: 'CANCELLED_BY_CUSTOMER' });
    });
  });

  describe('given a CONFIRMED order', () => {
    it('when the shipment is scheduled again, ignores it (one order.confirmed)', () => {
      expect(decideOrder(confirmed, scheduled).kind).toBe('ignore');
    });
    it('when a late failure arrives, ignores it', () => {
      expect(decideOrder(confirmed, { kind: 'declined' }).kind).toBe('ignore');
      expect(decideOrder(confirmed, { kind: 'shipment-failed' }).kind).toBe('ignore');
      expect(decideOrder(confirmed, { kind: 'rejected', reason: 'OUT_OF_STOCK' }).kind).toBe('ignore');
    });
    it('when the customer cancels, cancels it (participants compensate)', () => {
      expect(decideOrder(confirmed, { kind: 'customer-cancel' })).toEqual({ kind: 'cancel', reason: 'CANCELLED_BY_CUSTOMER' });
    });
  });

  describe('given a CANCELLED order', () => {
    it('when a late shipment.scheduled arrives, ignores it (never confirms)', () => {
      expect(decideOrder(cancelled, scheduled).kind).toBe('ignore');
      expect(decideOrder({ ...cancelled, amountCents: null, currency: null }, scheduled).kind).toBe('ignore');
    });
    it('when another failure arrives, ignores it (one order.cancelled)', () => {
      expect(decideOrder(cancelled, { kind: 'declined' }).kind).toBe('ignore');
      expect(decideOrder(cancelled, { kind: 'shipment-failed' }).kind).toBe('ignore');
    });
    it('when the customer cancels again, refuses (409)', () => {
      expect(decideOrder(cancelled, { kind: 'customer-cancel' }).kind).toBe('refuse');
    });
  });
});

describe('orderInputOf', () => {
  it('maps the deciding events to inputs', () => {
    expect(orderInputOf(exampleEvent('inventory.reserved'))).toEqual({ kind: 'reserved', amountCents: 2850, currency: 'EUR' });
    expect(orderInputOf(exampleEvent('inventory.rejected', { data: { reason: 'UNKNOWN_SKU' } }))).toEqual({
      kind: 'rejected',
      reason: 'UNKNOWN_SKU',
    });
    expect(orderInputOf(exampleEvent('payment.declined'))).toEqual({ kind: 'declined' });
    expect(orderInputOf(exampleEvent('shipment.scheduled', { data: { trackingNumber: 'T-9' } }))).toEqual({
      kind: 'shipment-scheduled',
      trackingNumber: 'T-9',
    });
    expect(orderInputOf(exampleEvent('shipment.failed'))).toEqual({ kind: 'shipment-failed' });
  });
  it('leaves timeline-only events without an input', () => {
    for (const type of ['payment.authorized', 'payment.refunded', 'inventory.released', 'shipment.cancelled', 'notification.sent'] as const) {
      expect(orderInputOf(exampleEvent(type))).toBeNull();
    }
  });
});

describe('timelineFact', () => {
  it('is the type, so a fact re-emitted under a new id is recorded once', () => {
    expect(timelineFact(exampleEvent('shipment.scheduled'))).toBe('shipment.scheduled');
  });
  it('tells notifications apart by the event they notify', () => {
    expect(timelineFact(exampleEvent('notification.sent', { data: { kind: 'order.confirmed' } }))).toBe('notification.sent:order.confirmed');
    expect(timelineFact(exampleEvent('notification.sent', { data: { kind: 'order.cancelled' } }))).toBe('notification.sent:order.cancelled');
  });
});
