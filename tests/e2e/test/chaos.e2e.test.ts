import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { createEvent, exampleEvent, subjectFor } from '@orderflow/contracts';
import { eventually } from '@orderflow/testkit';
import { countOf, eventsOfOrder } from '../src/events.js';
import { getOrder, orderBody, paymentsOf, placeOrder, setProduct, shipmentsOf, stockOf, waitForOrder } from '../src/flow.js';
import { startStack, type Stack } from '../src/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('duplicates, reordering and concurrency', () => {
  it('an event injected twice into JetStream has no double effect', async () => {
    await setProduct(stack, 'E2E-DUP', 10);
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-DUP', quantity: 2 }] }));
    const orderId = placed.body.orderId;
    await waitForOrder(stack, orderId, 'CONFIRMED');
    const events = await eventsOfOrder(stack, orderId);
    const original = events.find((e) => e.type === 'order.placed')!;
    const js = jetstream(stack.nc);
    // The same bytes without a Nats-Msg-Id (JetStream keeps both copies: the inbox must drop it) …
    await js.publish(subjectFor(original, stack.namespace), JSON.stringify(original), { headers: natsHeaders() });
    // … and the same facts under a new event id (the participants' own state must drop it).
    const copy = createEvent({ type: 'order.placed', orderId, data: original.data }, { source: 'order', correlationId: original.correlationId });
    await stack.publisher.publish([copy]);
    const reserved = events.find((e) => e.type === 'inventory.reserved')!;
    await stack.publisher.publish([
      createEvent({ type: 'inventory.reserved', orderId, data: reserved.data }, { source: 'inventory', cause: original }),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stockOf(stack, 'E2E-DUP')).toBe(8);
    expect(await paymentsOf(stack, orderId)).toHaveLength(1);
    expect(await shipmentsOf(stack, orderId)).toHaveLength(1);
    const after = await eventsOfOrder(stack, orderId);
    expect(countOf(after, 'inventory.reserved')).toBe(2); // ours plus the injected copy; nothing new
    expect(countOf(after, 'payment.authorized')).toBe(1);
    expect(countOf(after, 'order.confirmed')).toBe(1);
  });

  it('events injected out of order leave no reservation, charge or shipment for a cancelled order', async () => {
    await setProduct(stack, 'E2E-OOO', 4);
    const orderId = randomUUID();
    const correlationId = `ooo-${orderId}`;
    const base = exampleEvent('order.placed');
    const orderPlaced = createEvent(
      { type: 'order.placed', orderId, data: { ...base.data, items: [{ sku: 'E2E-OOO', quantity: 1 }] } },
      { source: 'order', correlationId },
    );
    const orderCancelled = createEvent(
      { type: 'order.cancelled', orderId, data: { reason: 'CANCELLED_BY_CUSTOMER', customerId: base.data.customerId, customerEmail: base.data.customerEmail } },
      { source: 'order', correlationId },
    );
    const lateReserved = createEvent(
      { type: 'inventory.reserved', orderId, data: { lines: [{ sku: 'E2E-OOO', quantity: 1, unitPriceCents: 1000 }], amountCents: 1000, currency: 'EUR' } },
      { source: 'inventory', cause: orderPlaced },
    );
    const latePayment = createEvent(
      { type: 'payment.authorized', orderId, data: { paymentId: randomUUID(), amountCents: 1000, currency: 'EUR' } },
      { source: 'payment', cause: lateReserved },
    );
    // The cancellation first, then everything that should have come before it.
    await stack.publisher.publish([orderCancelled]);
    await new Promise((r) => setTimeout(r, 500));
    await stack.publisher.publish([orderPlaced, lateReserved, latePayment]);
    // A marker order through the same consumers shows the injected events were processed.
    const marker = await placeOrder(stack, orderBody({ items: [{ sku: 'E2E-OOO', quantity: 1 }] }));
    await waitForOrder(stack, marker.body.orderId, 'CONFIRMED');
    await new Promise((r) => setTimeout(r, 500));
    expect(await stockOf(stack, 'E2E-OOO')).toBe(3); // only the marker's unit
    expect(await paymentsOf(stack, orderId)).toEqual([]);
    expect((await shipmentsOf(stack, orderId)).filter((s) => s.status === 'SCHEDULED')).toEqual([]);
  });

  it('30 concurrent orders on 19 units: exactly 19 CONFIRMED, 11 OUT_OF_STOCK, stock 0', async () => {
    await setProduct(stack, 'E2E-HOT', 19);
    const placed = await Promise.all(
      Array.from({ length: 30 }, () => placeOrder(stack, orderBody({ items: [{ sku: 'E2E-HOT', quantity: 1 }] }))),
    );
    const finals = await eventually(
      async () => {
        const orders = await Promise.all(placed.map((p) => getOrder(stack, p.body.orderId)));
        return orders.every((o) => o.status !== 'PENDING') ? orders : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(finals.filter((o) => o.status === 'CONFIRMED')).toHaveLength(19);
    const cancelled = finals.filter((o) => o.status === 'CANCELLED');
    expect(cancelled).toHaveLength(11);
    expect(cancelled.every((o) => o.cancellationReason === 'OUT_OF_STOCK')).toBe(true);
    expect(await stockOf(stack, 'E2E-HOT')).toBe(0);
  });
});
