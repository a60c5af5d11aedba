import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, exampleEvent, type DomainEvent } from '@orderflow/contracts';
import { readEvents, waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { findShippingOrder, isCancelled } from '../src/db/repository.js';
import type { ShippingSchema } from '../src/db/schema.js';
import { handleOrderEvent } from '../src/handlers/order-events.js';
import { handlePaymentEvent } from '../src/handlers/payment-events.js';
import { silentLogger } from '@orderflow/messaging';
import { loadEnv, shippingService } from '../src/service.js';

interface ShipmentDto {
  shipmentId: string;
  orderId: string;
  status: 'SCHEDULED' | 'CANCELLED';
  trackingNumber: string;
}

let svc: TestService<ShippingSchema>;

beforeAll(async () => {
  svc = await startTestService(shippingService, loadEnv);
});

afterAll(async () => {
  await svc?.close();
});

/**
 * The upstream facts about one order. Each call makes a new event (fresh id) with the same
 * facts, which is how a re-emitted fact looks: the inbox cannot tell it is a repeat.
 */
const facts = (orderId: string) => {
  const origin = { correlationId: `corr-${orderId}` };
  return {
    orderId,
    placed: (country = 'FR') => {
      const base = exampleEvent('order.placed').data;
      const shippingAddress = { ...base.shippingAddress, country };
      return createEvent({ type: 'order.placed', orderId, data: { ...base, shippingAddress } }, { ...origin, source: 'order' });
    },
    authorized: () =>
      createEvent(
        { type: 'payment.authorized', orderId, data: { paymentId: randomUUID(), amountCents: 5000, currency: 'EUR' } },
        { ...origin, source: 'payment' },
      ),
    cancelled: () =>
      createEvent(
        { type: 'order.cancelled', orderId, data: { ...exampleEvent('order.cancelled').data, reason: 'CANCELLED_BY_CUSTOMER' } },
        { ...origin, source: 'order' },
      ),
  };
};

const publish = (...events: DomainEvent[]) => svc.publisher.publish(events);

const waitingRows = async (orderId: string) => (await svc.deps.pool.query('select 1 from waiting_payments where order_id = $1', [orderId])).rowCount;


const ofOrder = (orderId: string) => (e: { orderId: string }) => e.orderId === orderId;

const emitted = async <T extends 'shipment.scheduled' | 'shipment.failed' | 'shipment.cancelled'>(type: T, orderId: string) =>
  (await readEvents(svc.testNc, type, { namespace: svc.namespace })).filter(ofOrder(orderId));

const awaitEmitted = <T extends 'shipment.scheduled' | 'shipment.failed' | 'shipment.cancelled'>(type: T, orderId: string) =>
  waitForEvent(svc.testNc, type, ofOrder(orderId), { namespace: svc.namespace, timeoutMs: 20_000 });

async function shipmentsOf(orderId: string): Promise<ShipmentDto[]> {
  const res = await svc.request(`/shipments?orderId=${orderId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ShipmentDto[];
}

/**
 * Ships a fresh order end to end. The payment stream is consumed in order, so once this
 * order's shipment is out, every payment event published before it has been handled.
 */
async function shipFreshOrder() {
  const orderId = randomUUID();
  const f = facts(orderId);
  await publish(f.placed());
  await publish(f.authorized());
  return awaitEmitted('shipment.scheduled', orderId);
}

describe('shipping service', () => {
  it('writes the same address row for order.placed through its single-event handler as through the consumer', async () => {
    const now = new Date('2026-11-30T12:00:00.000Z');
    const [viaHandler, viaConsumer] = [randomUUID(), randomUUID()];
    const byHandler = facts(viaHandler).placed();
    await svc.deps.db.transaction(async (tx) => {
      await handleOrderEvent(byHandler, { tx, now, log: silentLogger, deliveryCount: 1, working: () => undefined });
    });
    await publish({ ...facts(viaConsumer).placed(), data: byHandler.data });
    await eventually(async () => (await findShippingOrder(svc.deps.db, viaConsumer)) !== undefined);
    const { rows } = await svc.deps.pool.query(`select * from shipping_orders where order_id = any($1::uuid[]) order by order_id = $2`, [[viaHandler, viaConsumer], viaConsumer]);
    expect(rows).toHaveLength(2);
    const [a, b] = rows.map(({ order_id: _id, received_at: _at, ...rest }: Record<string, unknown>) => rest);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ shipping_address: byHandler.data.shippingAddress, outcome: null });
    expect(rows[0]).toMatchObject({ received_at: now });
  });

  it('dispatches a payment that waited for its order.placed through the single-event handlers too (the path of a batch that failed)', async () => {
    const orderId = randomUUID();
    const f = facts(orderId);
    const early = f.authorized();
    const ctx = { now: new Date(), log: silentLogger, deliveryCount: 1, working: () => undefined };
    expect(await svc.deps.db.transaction((tx) => handlePaymentEvent(early, { ...ctx, tx }))).toEqual([]);
    const scheduled = await svc.deps.db.transaction((tx) => handleOrderEvent(f.placed(), { ...ctx, tx }));
    expect(scheduled).toEqual([expect.objectContaining({ type: 'shipment.scheduled', orderId, causationId: early.id })]);
    // A repeat of either fact dispatches nothing more.
    expect(await svc.deps.db.transaction((tx) => handleOrderEvent(f.placed(), { ...ctx, tx }))).toEqual([]);
    expect(await svc.deps.db.transaction((tx) => handlePaymentEvent(f.authorized(), { ...ctx, tx }))).toEqual([]);
    expect(await shipmentsOf(orderId)).toEqual([expect.objectContaining({ status: 'SCHEDULED' })]);
    expect((await findShippingOrder(svc.deps.db, orderId))?.outcome).toBe('SCHEDULED');
    expect(await waitingRows(orderId)).toBe(0);
  });

  it('fails a payment that waited for an order.placed to AQ, once', async () => {
    const orderId = randomUUID();
    const f = facts(orderId);
    const early = f.authorized();
    await publish(early);
    await eventually(async () => (await waitingRows(orderId)) === 1);
    await publish(f.placed('AQ'));
    const failed = await awaitEmitted('shipment.failed', orderId);
    expect(failed.causationId).toBe(early.id);
    expect((await findShippingOrder(svc.deps.db, orderId))?.outcome).toBe('FAILED');
    expect(await shipmentsOf(orderId)).toEqual([]);
  });

  it('schedules a shipment for an authorized payment and lists it', async () => {
    const orderId = randomUUID();
    const f = facts(orderId);
    const payment = f.authorized();
    await publish(f.placed('DE'));
    await publish(payment);
    const scheduled = await awaitEmitted('shipment.scheduled', orderId);
    expect(scheduled.data.trackingNumber).toMatch(/^TRK-[0-9A-F]{12}$/);
    expect(scheduled.causationId).toBe(payment.id);
    expect(scheduled.correlationId).toBe(payment.correlationId);
    expect(await shipmentsOf(orderId)).toEqual([{ ...scheduled.data, orderId, status: 'SCHEDULED' }]);
  });

  it('dispatches a burst of payments a batch at a time as it would one by one: a failure, a repeated fact, a cancelled order, one too early', async () => {
    const shipping = Array.from({ length: 10 }, () => facts(randomUUID()));
    const unserved = facts(randomUUID());
    const gone = facts(randomUUID());
    const early = facts(randomUUID());
    await publish(...shipping.map((f) => f.placed()), unserved.placed('AQ'), gone.placed(), gone.cancelled());
    await eventually(async () => isCancelled(svc.deps.db, gone.orderId));
    // One pipelined publish, so the consumer takes them in batches.
    await publish(
      ...shipping.map((f) => f.authorized()),
      unserved.authorized(),
      shipping[0]!.authorized(), // the same fact as a new event: one shipment
      gone.authorized(),
      early.authorized(), // before its order.placed: waits, holding back nothing
    );
    for (const f of shipping) await awaitEmitted('shipment.scheduled', f.orderId);
    await awaitEmitted('shipment.failed', unserved.orderId);
    await publish(early.placed());
    await awaitEmitted('shipment.scheduled', early.orderId);
    for (const f of [...shipping, early]) expect(await shipmentsOf(f.orderId)).toHaveLength(1);
    expect(await emitted('shipment.scheduled', shipping[0]!.orderId)).toHaveLength(1);
    expect(await shipmentsOf(unserved.orderId)).toEqual([]);
    expect(await shipmentsOf(gone.orderId)).toEqual([]);
    expect(await emitted('shipment.scheduled', gone.orderId)).toHaveLength(0);
  });

  it('keeps a shipping order on its page when its outcome is written (a HOT update: no new index entry, no dead tuple for vacuum)', async () => {
    // The row is updated once, right after its insert. On a full page the new version goes to
    // another page; the table leaves room for it on insert (migration 0002), so it stays.
    const orders = Array.from({ length: 100 }, () => facts(randomUUID()));
    const ids = orders.map((f) => f.orderId);
    const pages = async () => {
      const { rows } = await svc.deps.pool.query<{ id: string; page: number; decided: boolean }>(
        `select order_id as id, (ctid::text::point)[0]::int as page, outcome is not null as decided from shipping_orders where order_id = any($1::uuid[])`,
        [ids],
      );
      return rows;
    };
    await publish(...orders.map((f) => f.placed()));
    const inserted = await eventually(async () => {
      const rows = await pages();
      return rows.length === ids.length ? rows : undefined;
    });
    const before = new Map(inserted.map((r) => [r.id, r.page]));
    await publish(...orders.map((f) => f.authorized()));
    const after = await eventually(async () => {
      const rows = await pages();
      return rows.every((r) => r.decided) ? rows : undefined;
    });
    const moved = after.filter((r) => r.page !== before.get(r.id));
    expect(moved.length).toBeLessThanOrEqual(ids.length / 10);
  });

  it('fails once for AQ, remembers it, and lists no shipment', async () => {
    const orderId = randomUUID();
    const f = facts(orderId);
    await publish(f.placed('AQ'));
    await publish(f.authorized());
    const failed = await awaitEmitted('shipment.failed', orderId);
    expect(failed.data).toEqual({ reason: 'SHIPPING_UNAVAILABLE', country: 'AQ' });

    await publish(f.authorized()); // the same fact again: not retried, not re-emitted
    await shipFreshOrder();
    expect(await emitted('shipment.failed', orderId)).toHaveLength(1);
    expect(await emitted('shipment.scheduled', orderId)).toHaveLength(0);
    expect(await shipmentsOf(orderId)).toEqual([]);
  });

  it('schedules once when the payment fact arrives twice', async () => {
    const first = await shipFreshOrder();
    await publish(facts(first.orderId).authorized());
    await shipFreshOrder();
    expect(await emitted('shipment.scheduled', first.orderId)).toHaveLength(1);
    expect(await shipmentsOf(first.orderId)).toHaveLength(1);
  });

  it('cancels a scheduled shipment once, however often order.cancelled arrives', async () => {
    const scheduled = await shipFreshOrder();
    const f = facts(scheduled.orderId);
    const cancel = f.cancelled();
    await publish(cancel);
    await publish(cancel); // the very same event
    await publish(f.cancelled()); // the same fact as a new event
    const done = await awaitEmitted('shipment.cancelled', scheduled.orderId);
    expect(done.data).toEqual(scheduled.data);

    // The order stream is consumed in order: a later order's cancellation means all three were handled.
    const later = await shipFreshOrder();
    await publish(facts(later.orderId).cancelled());
    await awaitEmitted('shipment.cancelled', later.orderId);
    expect(await emitted('shipment.cancelled', scheduled.orderId)).toHaveLength(1);
    expect(await shipmentsOf(scheduled.orderId)).toEqual([{ ...scheduled.data, orderId: scheduled.orderId, status: 'CANCELLED' }]);
  });

  it('keeps payment.authorized that arrives before order.placed, and schedules once when order.placed comes, with no retry', async () => {
    const [processedBefore, retriedBefore] = [await svc.consumed('shipping-payment-events', 'processed'), await svc.consumed('shipping-payment-events', 'retried')];
    const orderId = randomUUID();
    const f = facts(orderId);
    const early = f.authorized();
    await publish(early);
    await eventually(async () => (await waitingRows(orderId)) === 1);
    expect(await shipmentsOf(orderId)).toEqual([]);
    await publish(f.placed());
    const scheduled = await awaitEmitted('shipment.scheduled', orderId);
    expect(scheduled.causationId).toBe(early.id); // the payment, not the order.placed that let it through
    expect(scheduled.correlationId).toBe(early.correlationId);
    expect(await shipmentsOf(orderId)).toHaveLength(1);
    expect(await svc.consumed('shipping-payment-events', 'processed')).toBeGreaterThan(processedBefore);
    expect(await svc.consumed('shipping-payment-events', 'retried')).toBe(retriedBefore); // acked at once, never nak'd and redelivered
    expect(await waitingRows(orderId)).toBe(0);
  });

  it('schedules nothing for a payment that waited for an order cancelled before its order.placed arrived', async () => {
    const orderId = randomUUID();
    const f = facts(orderId);
    await publish(f.authorized());
    await eventually(async () => (await waitingRows(orderId)) === 1);
    await publish(f.cancelled());
    await eventually(() => isCancelled(svc.deps.db, orderId));
    await publish(f.placed());
    await eventually(async () => (await findShippingOrder(svc.deps.db, orderId)) !== undefined);
    expect(await shipmentsOf(orderId)).toEqual([]);
    expect(await emitted('shipment.scheduled', orderId)).toHaveLength(0);
    expect(await emitted('shipment.failed', orderId)).toHaveLength(0);
    expect(await waitingRows(orderId)).toBe(0);
  });

  it('schedules nothing for a payment that arrives after the cancel, with or without order.placed', async () => {
    const known = facts(randomUUID());
    const unknown = facts(randomUUID()); // its order.placed never reaches shipping: must not retry forever
    await publish(known.placed(), known.cancelled(), unknown.cancelled());
    await eventually(async () => (await isCancelled(svc.deps.db, known.orderId)) && isCancelled(svc.deps.db, unknown.orderId));
    await publish(known.authorized(), unknown.authorized());

    await shipFreshOrder();
    for (const { orderId } of [known, unknown]) {
      expect(await shipmentsOf(orderId)).toEqual([]);
      expect(await emitted('shipment.scheduled', orderId)).toHaveLength(0);
      expect(await emitted('shipment.failed', orderId)).toHaveLength(0);
    }
  });

  it('leaves no shipment scheduled when the cancel races the payment', async () => {
    const orders = Array.from({ length: 15 }, () => facts(randomUUID()));
    const ids = orders.map((f) => f.orderId);
    await publish(...orders.map((f) => f.placed()));
    await eventually(async () => (await Promise.all(ids.map((id) => findShippingOrder(svc.deps.db, id)))).every(Boolean));
    await Promise.all(orders.flatMap((f) => [publish(f.authorized()), publish(f.cancelled())]));
    await eventually(async () => (await Promise.all(ids.map((id) => isCancelled(svc.deps.db, id)))).every(Boolean));
    await shipFreshOrder(); // every payment above has been handled

    for (const orderId of ids) {
      const shipments = await shipmentsOf(orderId);
      expect(shipments.filter((s) => s.status !== 'CANCELLED')).toEqual([]);
      expect(await emitted('shipment.cancelled', orderId)).toHaveLength(shipments.length);
    }
  });

  it('lists the latest shipments without orderId; 400 names a malformed orderId; 404 for an unknown route', async () => {
    const scheduled = await shipFreshOrder();
    const res = await svc.request('/shipments');
    expect(res.status).toBe(200);
    const latest = (await res.json()) as ShipmentDto[];
    expect(latest.length).toBeLessThanOrEqual(100);
    expect(latest.map((s) => s.shipmentId)).toContain(scheduled.data.shipmentId);

    const bad = await svc.request('/shipments?orderId=42');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ issues: [{ path: 'orderId' }] });

    expect(await shipmentsOf(randomUUID())).toEqual([]);
    expect((await svc.request(`/shipments/${scheduled.data.shipmentId}`)).status).toBe(404);
  });
});
