import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, exampleEvent, type InventoryReserved, type OrderCancelled, type OrderPlaced } from '@orderflow/contracts';
import { readEvents, waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { isCancelled } from '../src/db/repository.js';
import type { PaymentSchema } from '../src/db/schema.js';
import { handleInventoryEvent } from '../src/handlers/inventory-events.js';
import { handleOrderEvent } from '../src/handlers/order-events.js';
import { silentLogger } from '@orderflow/messaging';
import { paymentService, loadEnv } from '../src/service.js';

let svc: TestService<PaymentSchema>;
beforeAll(async () => {
  svc = await startTestService(paymentService, loadEnv);
});
afterAll(async () => {
  await svc?.close();
});

type PaymentDto = { paymentId: string; orderId: string; amountCents: number; status: string };

// Every call builds a new event object (fresh id) with the same facts: a duplicate the inbox
// cannot recognise, as when an upstream service re-emits after a crash.
function placed(orderId: string, paymentToken = 'tok_visa'): OrderPlaced {
  const data = { ...exampleEvent('order.placed').data, paymentToken };
  return createEvent({ type: 'order.placed', orderId, data }, { source: 'order', correlationId: `c-${orderId}` });
}

function reserved(orderId: string, amountCents = 4200): InventoryReserved {
  const data = { lines: [{ sku: 'T-PAY-1', quantity: 2, unitPriceCents: amountCents / 2 }], amountCents, currency: 'EUR' };
  return createEvent({ type: 'inventory.reserved', orderId, data }, { source: 'inventory', correlationId: `c-${orderId}` });
}

function cancelled(orderId: string): OrderCancelled {
  const data = { reason: 'CANCELLED_BY_CUSTOMER', customerId: 'c', customerEmail: 'c@example.com' } as const;
  return createEvent({ type: 'order.cancelled', orderId, data }, { source: 'order', correlationId: `c-${orderId}` });
}

const ns = () => ({ namespace: svc.namespace, timeoutMs: 20_000 });


async function paymentsOf(orderId: string): Promise<PaymentDto[]> {
  const res = await svc.request(`/payments?orderId=${orderId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as PaymentDto[];
}

/** An order charged end to end: returns its payment.authorized. */
async function authorizedOrder(amountCents = 4200) {
  const orderId = randomUUID();
  await svc.publisher.publish([placed(orderId)]);
  await svc.publisher.publish([reserved(orderId, amountCents)]);
  return waitForEvent(svc.testNc, 'payment.authorized', (x) => x.orderId === orderId, ns());
}

async function eventsFor(type: 'payment.authorized' | 'payment.declined' | 'payment.refunded', orderId: string) {
  return (await readEvents(svc.testNc, type, { namespace: svc.namespace })).filter((x) => x.orderId === orderId);
}

describe('payment service', () => {
  it('charges a reservation that waited for its order.placed through the single-event handlers too (the path of a batch that failed)', async () => {
    const orderId = randomUUID();
    const [early, order] = [reserved(orderId, 3100), placed(orderId)];
    const ctx = { now: new Date(), log: silentLogger, deliveryCount: 1, working: () => undefined };
    const kept = await svc.deps.db.transaction((tx) => handleInventoryEvent(early, { ...ctx, tx }));
    expect(kept).toEqual([]);
    const charged = await svc.deps.db.transaction((tx) => handleOrderEvent(order, { ...ctx, tx }));
    expect(charged).toEqual([expect.objectContaining({ type: 'payment.authorized', orderId, causationId: early.id, data: expect.objectContaining({ amountCents: 3100 }) })]);
    // A repeat of either fact charges nothing more.
    expect(await svc.deps.db.transaction((tx) => handleOrderEvent(placed(orderId), { ...ctx, tx }))).toEqual([]);
    expect(await svc.deps.db.transaction((tx) => handleInventoryEvent(reserved(orderId, 3100), { ...ctx, tx }))).toEqual([]);
    expect(await paymentsOf(orderId)).toEqual([expect.objectContaining({ amountCents: 3100, status: 'AUTHORIZED' })]);
    expect((await svc.deps.pool.query('select 1 from waiting_reservations where order_id = $1', [orderId])).rowCount).toBe(0);
  });

  it('authorizes the reserved amount and lists the payment', async () => {
    const orderId = randomUUID();
    const p = placed(orderId);
    const r = reserved(orderId, 1700);
    await svc.publisher.publish([p]);
    await svc.publisher.publish([r]);
    const authorized = await waitForEvent(svc.testNc, 'payment.authorized', (x) => x.orderId === orderId, ns());
    expect(authorized.data).toEqual({ paymentId: expect.any(String), amountCents: 1700, currency: 'EUR' });
    expect(authorized.causationId).toBe(r.id);
    expect(authorized.correlationId).toBe(r.correlationId);
    expect(await paymentsOf(orderId)).toEqual([{ paymentId: authorized.data.paymentId, orderId, amountCents: 1700, status: 'AUTHORIZED' }]);
  });

  it('declines tok_declined, keeping the amount, and refunds nothing when the order is then cancelled', async () => {
    const orderId = randomUUID();
    await svc.publisher.publish([placed(orderId, 'tok_declined')]);
    await svc.publisher.publish([reserved(orderId, 900)]);
    const declined = await waitForEvent(svc.testNc, 'payment.declined', (x) => x.orderId === orderId, ns());
    expect(declined.data).toEqual({ reason: 'PAYMENT_DECLINED', amountCents: 900, currency: 'EUR' });
    expect((await paymentsOf(orderId)).map((p) => p.status)).toEqual(['DECLINED']);

    await svc.publisher.publish([cancelled(orderId)]);
    await eventually(() => isCancelled(svc.deps.db, orderId));
    expect(await eventsFor('payment.refunded', orderId)).toHaveLength(0);
    expect((await paymentsOf(orderId)).map((p) => p.status)).toEqual(['DECLINED']);
  });

  it('refunds an authorized payment once, however often order.cancelled arrives', async () => {
    const authorized = await authorizedOrder(3100);
    const { orderId } = authorized;
    const first = cancelled(orderId);
    await svc.publisher.publish([first]);
    await svc.publisher.publish([first]); // the same event again (JetStream/inbox drop it)
    await svc.publisher.publish([cancelled(orderId)]); // the same fact as a new event
    const refunded = await waitForEvent(svc.testNc, 'payment.refunded', (x) => x.orderId === orderId, ns());
    expect(refunded.data).toEqual({ paymentId: authorized.data.paymentId, amountCents: 3100, currency: 'EUR' });

    // The order stream is consumed in order: once a later order's refund is out, both copies
    // above have been handled.
    const marker = await authorizedOrder();
    await svc.publisher.publish([cancelled(marker.orderId)]);
    await waitForEvent(svc.testNc, 'payment.refunded', (x) => x.orderId === marker.orderId, ns());
    expect(await eventsFor('payment.refunded', orderId)).toHaveLength(1);
    expect((await paymentsOf(orderId)).map((p) => p.status)).toEqual(['REFUNDED']);
  });

  it('charges once when the same reservation arrives twice', async () => {
    const authorized = await authorizedOrder();
    await svc.publisher.publish([reserved(authorized.orderId)]);
    const marker = await authorizedOrder();
    expect(marker.orderId).not.toBe(authorized.orderId);
    expect(await eventsFor('payment.authorized', authorized.orderId)).toHaveLength(1);
    expect(await paymentsOf(authorized.orderId)).toHaveLength(1);
  });

  it('charges a burst of reservations a batch at a time as it would one by one: declines, a repeated fact, one that came too early', async () => {
    const paying = Array.from({ length: 10 }, () => randomUUID());
    const declining = Array.from({ length: 3 }, () => randomUUID());
    const early = randomUUID();
    await svc.publisher.publish([...paying.map((id) => placed(id)), ...declining.map((id) => placed(id, 'tok_declined'))]);
    // One pipelined publish, so the consumer takes them in batches.
    await svc.publisher.publish([
      ...paying.map((id, k) => reserved(id, 1000 + 2 * k)),
      ...declining.map((id) => reserved(id, 600)),
      reserved(paying[0]!, 1000), // the same fact as a new event: charged once
      reserved(early, 800), // before its order.placed: waits, holding back nothing
    ]);
    for (const [k, orderId] of paying.entries()) {
      const authorized = await waitForEvent(svc.testNc, 'payment.authorized', (x) => x.orderId === orderId, ns());
      expect(authorized.data.amountCents).toBe(1000 + 2 * k);
    }
    for (const orderId of declining) await waitForEvent(svc.testNc, 'payment.declined', (x) => x.orderId === orderId, ns());
    await svc.publisher.publish([placed(early)]);
    await waitForEvent(svc.testNc, 'payment.authorized', (x) => x.orderId === early, ns());
    expect(await eventsFor('payment.authorized', paying[0]!)).toHaveLength(1);
    for (const orderId of [...paying, ...declining, early]) expect(await paymentsOf(orderId)).toHaveLength(1);
  });

  it('keeps inventory.reserved that arrives before order.placed, and charges it once when order.placed comes, with no retry', async () => {
    const [processedBefore, retriedBefore] = [await svc.consumed('payment-inventory-events', 'processed'), await svc.consumed('payment-inventory-events', 'retried')];
    const orderId = randomUUID();
    const early = reserved(orderId, 2500);
    await svc.publisher.publish([early]);
    await eventually(async () => (await svc.deps.pool.query('select 1 from waiting_reservations where order_id = $1', [orderId])).rowCount === 1);
    expect(await paymentsOf(orderId)).toEqual([]);
    await svc.publisher.publish([placed(orderId)]);
    const authorized = await waitForEvent(svc.testNc, 'payment.authorized', (x) => x.orderId === orderId, ns());
    expect(authorized.data.amountCents).toBe(2500);
    expect(authorized.causationId).toBe(early.id); // the reservation, not the order.placed that let it through
    expect(authorized.correlationId).toBe(early.correlationId);
    expect(await paymentsOf(orderId)).toHaveLength(1);
    expect(await svc.consumed('payment-inventory-events', 'processed')).toBeGreaterThan(processedBefore);
    expect(await svc.consumed('payment-inventory-events', 'retried')).toBe(retriedBefore); // acked at once, never nak'd and redelivered
    expect((await svc.deps.pool.query('select 1 from waiting_reservations where order_id = $1', [orderId])).rowCount).toBe(0);
  });

  it('charges nothing for a reservation that waited for an order cancelled before its order.placed arrived', async () => {
    const orderId = randomUUID();
    await svc.publisher.publish([reserved(orderId)]);
    await eventually(async () => (await svc.deps.pool.query('select 1 from waiting_reservations where order_id = $1', [orderId])).rowCount === 1);
    await svc.publisher.publish([cancelled(orderId)]);
    await eventually(() => isCancelled(svc.deps.db, orderId));
    await svc.publisher.publish([placed(orderId)]);
    await eventually(async () => (await svc.deps.db.query.paymentOrders.findMany()).some((o) => o.orderId === orderId));
    expect(await paymentsOf(orderId)).toEqual([]);
    expect(await eventsFor('payment.authorized', orderId)).toHaveLength(0);
    expect(await eventsFor('payment.declined', orderId)).toHaveLength(0);
    expect((await svc.deps.pool.query('select 1 from waiting_reservations where order_id = $1', [orderId])).rowCount).toBe(0);
  });

  it('charges nothing for a reservation that arrives after the cancel, with or without order.placed', async () => {
    const placedThenCancelled = randomUUID();
    const cancelledOnly = randomUUID(); // order.placed never reaches payment: must not retry forever
    await svc.publisher.publish([placed(placedThenCancelled), cancelled(placedThenCancelled), cancelled(cancelledOnly)]);
    await eventually(async () => (await isCancelled(svc.deps.db, placedThenCancelled)) && isCancelled(svc.deps.db, cancelledOnly));
    await svc.publisher.publish([reserved(placedThenCancelled), reserved(cancelledOnly)]);

    // The inventory stream is consumed in order: once a later reservation is charged, these were handled.
    await authorizedOrder();
    for (const orderId of [placedThenCancelled, cancelledOnly]) {
      expect(await paymentsOf(orderId)).toEqual([]);
      expect(await eventsFor('payment.authorized', orderId)).toHaveLength(0);
      expect(await eventsFor('payment.declined', orderId)).toHaveLength(0);
    }
  });

  it('leaves no charge behind when the cancel races the reservation', async () => {
    const orderIds: string[] = Array.from({ length: 15 }, () => randomUUID());
    await svc.publisher.publish(orderIds.map((id) => placed(id)));
    await eventually(async () => (await svc.deps.db.query.paymentOrders.findMany()).filter((o) => orderIds.includes(o.orderId)).length === 15);
    await Promise.all(orderIds.flatMap((id) => [svc.publisher.publish([reserved(id)]), svc.publisher.publish([cancelled(id)])]));
    await eventually(async () => (await Promise.all(orderIds.map((id) => isCancelled(svc.deps.db, id)))).every(Boolean));
    await authorizedOrder(); // every reservation above has been handled

    for (const orderId of orderIds) {
      const statuses = (await paymentsOf(orderId)).map((p) => p.status);
      expect(statuses.filter((s) => s !== 'REFUNDED')).toEqual([]);
      expect(await eventsFor('payment.refunded', orderId)).toHaveLength(statuses.length);
    }
  });

  it('lists the latest payments without orderId, and answers 400 naming a malformed orderId', async () => {
    const authorized = await authorizedOrder();
    const all = (await (await svc.request('/payments')).json()) as PaymentDto[];
    expect(all.length).toBeLessThanOrEqual(100);
    expect(all.map((p) => p.paymentId)).toContain(authorized.data.paymentId);

    const bad = await svc.request('/payments?orderId=not-a-uuid');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('orderId');

    expect(await paymentsOf(randomUUID())).toEqual([]);
    expect((await svc.request('/payments/nope')).status).toBe(404);
  });
});
