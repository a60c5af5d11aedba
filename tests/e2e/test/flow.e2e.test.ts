import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@orderflow/testkit';
import { countOf, eventsOfOrder } from '../src/events.js';
import {
  getOrder,
  notificationsOf,
  orderBody,
  paymentsOf,
  placeOrder,
  setProduct,
  shipmentsOf,
  stockOf,
  waitForOrder,
} from '../src/flow.js';
import { startStack, type Stack } from '../src/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('order flow, every path', () => {
  it('happy path: CONFIRMED with the catalogue amount, stock taken, payment authorized, shipment scheduled, customer notified', async () => {
    await setProduct(stack, 'E2E-HAPPY-A', 10, 1250);
    await setProduct(stack, 'E2E-HAPPY-B', 10, 300);
    const body = orderBody({ items: [{ sku: 'E2E-HAPPY-A', quantity: 2 }, { sku: 'E2E-HAPPY-B', quantity: 1 }] });
    const placed = await placeOrder(stack, body);
    expect(placed.body.status).toBe('PENDING');
    expect(placed.headers.get('location')).toBe(`/orders/${placed.body.orderId}`);
    const order = await waitForOrder(stack, placed.body.orderId, 'CONFIRMED', { withEvent: 'order.confirmed' });
    expect(order.amount).toBe(2800);
    expect(order.currency).toBe('EUR');
    expect(await stockOf(stack, 'E2E-HAPPY-A')).toBe(8);
    expect(await paymentsOf(stack, order.orderId)).toMatchObject([{ status: 'AUTHORIZED', amountCents: 2800 }]);
    expect(await shipmentsOf(stack, order.orderId)).toMatchObject([{ status: 'SCHEDULED' }]);
    const notes = await eventually(async () => {
      const n = await notificationsOf(stack, order.orderId);
      return n.length > 0 ? n : undefined;
    });
    expect(notes).toMatchObject([{ type: 'order.confirmed', recipient: body.customerEmail }]);
  });

  it('OUT_OF_STOCK: one short line reserves nothing', async () => {
    await setProduct(stack, 'E2E-OOS-A', 5);
    await setProduct(stack, 'E2E-OOS-B', 1);
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-OOS-A', quantity: 2 }, { sku: 'E2E-OOS-B', quantity: 2 }] }));
    const order = await waitForOrder(stack, placed.body.orderId, 'CANCELLED');
    expect(order.cancellationReason).toBe('OUT_OF_STOCK');
    expect(await stockOf(stack, 'E2E-OOS-A')).toBe(5);
    expect(await stockOf(stack, 'E2E-OOS-B')).toBe(1);
    expect(await paymentsOf(stack, order.orderId)).toEqual([]);
  });

  it('UNKNOWN_SKU: nothing reserved, order cancelled', async () => {
    await setProduct(stack, 'E2E-UNK-A', 5);
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-UNK-A', quantity: 1 }, { sku: 'NOT-IN-CATALOGUE', quantity: 1 }] }));
    const order = await waitForOrder(stack, placed.body.orderId, 'CANCELLED');
    expect(order.cancellationReason).toBe('UNKNOWN_SKU');
    expect(await stockOf(stack, 'E2E-UNK-A')).toBe(5);
  });

  it('PAYMENT_DECLINED: cancelled, reservation released', async () => {
    await setProduct(stack, 'E2E-DECL', 5);
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-DECL', quantity: 2 }], paymentToken: 'tok_declined' }));
    const order = await waitForOrder(stack, placed.body.orderId, 'CANCELLED', { withEvent: 'inventory.released' });
    expect(order.cancellationReason).toBe('PAYMENT_DECLINED');
    expect(await stockOf(stack, 'E2E-DECL')).toBe(5);
    expect(await paymentsOf(stack, order.orderId)).toMatchObject([{ status: 'DECLINED' }]);
    expect(await shipmentsOf(stack, order.orderId)).toEqual([]);
  });

  it('SHIPPING_UNAVAILABLE (AQ): cancelled, payment refunded, stock released', async () => {
    await setProduct(stack, 'E2E-AQ', 5);
    const body = orderBody({ items: [{ sku: 'E2E-AQ', quantity: 1 }] });
    const placed = await placeOrder(stack, { ...body, shippingAddress: { ...body.shippingAddress, country: 'AQ' } });
    const order = await waitForOrder(stack, placed.body.orderId, 'CANCELLED', { withEvent: 'payment.refunded' });
    expect(order.cancellationReason).toBe('SHIPPING_UNAVAILABLE');
    await eventually(async () => (await stockOf(stack, 'E2E-AQ')) === 5);
    expect(await paymentsOf(stack, order.orderId)).toMatchObject([{ status: 'REFUNDED' }]);
    expect(await shipmentsOf(stack, order.orderId)).toEqual([]);
  });

  it('customer cancel of a CONFIRMED order: refund, release, shipment cancelled', async () => {
    await setProduct(stack, 'E2E-CXL-C', 5);
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-CXL-C', quantity: 3 }] }));
    await waitForOrder(stack, placed.body.orderId, 'CONFIRMED');
    const cancel = await stack.call('order', `/orders/${placed.body.orderId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const order = await waitForOrder(stack, placed.body.orderId, 'CANCELLED', { withEvent: 'shipment.cancelled' });
    expect(order.cancellationReason).toBe('CANCELLED_BY_CUSTOMER');
    await eventually(async () => (await stockOf(stack, 'E2E-CXL-C')) === 5);
    await eventually(async () => (await paymentsOf(stack, order.orderId))[0]?.status === 'REFUNDED');
    expect(await shipmentsOf(stack, order.orderId)).toMatchObject([{ status: 'CANCELLED' }]);
    expect((await stack.call('order', `/orders/${placed.body.orderId}/cancel`, { method: 'POST' })).status).toBe(409);
    const notes = await eventually(async () => {
      const n = await notificationsOf(stack, order.orderId);
      return n.length === 2 ? n : undefined;
    });
    expect(notes.map((n) => n.type).sort()).toEqual(['order.cancelled', 'order.confirmed']);
  });

  it('customer cancel of a PENDING order (shipping down): refund and release; shipping, back, schedules nothing lasting', async () => {
    await stack.stop('shipping');
    try {
      await setProduct(stack, 'E2E-CXL-P', 5);
      const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-CXL-P', quantity: 2 }] }));
      const orderId = placed.body.orderId;
      await eventually(async () => (await paymentsOf(stack, orderId))[0]?.status === 'AUTHORIZED');
      expect((await getOrder(stack, orderId)).status).toBe('PENDING');
      expect((await stack.call('order', `/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(202);
      await waitForOrder(stack, orderId, 'CANCELLED', { withEvent: 'payment.refunded' });
      await eventually(async () => (await stockOf(stack, 'E2E-CXL-P')) === 5);
    } finally {
      await stack.start('shipping');
    }
  });

  it('one correlation id runs through every event of a flow; each causationId points at the event before it', async () => {
    await setProduct(stack, 'E2E-CORR', 5);
    const correlationId = `e2e-corr-${Date.now()}`;
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-CORR', quantity: 1 }] }), { 'X-Correlation-Id': correlationId });
    expect(placed.headers.get('x-correlation-id')).toBe(correlationId);
    expect(placed.body.correlationId).toBe(correlationId);
    const orderId = placed.body.orderId;
    const chain = ['order.placed', 'inventory.reserved', 'payment.authorized', 'shipment.scheduled', 'order.confirmed', 'notification.sent'] as const;
    // The streams are read one after another: wait until one read saw every event of the chain
    // (a read can find notification.sent and miss an order.confirmed stored while it ran).
    const events = await eventually(async () => {
      const e = await eventsOfOrder(stack, orderId);
      return chain.every((t) => e.some((x) => x.type === t)) ? e : undefined;
    });
    expect(events.every((e) => e.correlationId === correlationId)).toBe(true);
    const byType = new Map(events.map((e) => [e.type, e]));
    expect(byType.get('order.placed')!.causationId).toBeNull();
    for (let i = 1; i < chain.length; i++) {
      expect(byType.get(chain[i]!)!.causationId, chain[i]).toBe(byType.get(chain[i - 1]!)!.id);
    }
    expect(countOf(events, 'order.confirmed')).toBe(1);
    expect((await getOrder(stack, orderId)).correlationId).toBe(correlationId);
  });
});
