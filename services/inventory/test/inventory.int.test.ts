import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, exampleEvent, type OrderPlaced } from '@orderflow/contracts';
import { readEvents, waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { inventoryService, loadEnv } from '../src/service.js';
import type { InventorySchema } from '../src/db/schema.js';

let svc: TestService<InventorySchema>;
beforeAll(async () => {
  svc = await startTestService(inventoryService, loadEnv);
});
afterAll(async () => {
  await svc?.close();
});

async function putProduct(sku: string, stock: number, priceCents = 1000): Promise<void> {
  const res = await svc.request(`/products/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: sku, priceCents, currency: 'EUR', stock }),
  });
  expect(res.status).toBe(200);
}

async function stockOf(sku: string): Promise<number> {
  return ((await (await svc.request(`/products/${sku}`)).json()) as { stock: number }).stock;
}

function placed(items: { sku: string; quantity: number }[], orderId: string = randomUUID()): OrderPlaced {
  const base = exampleEvent('order.placed');
  return createEvent({ type: 'order.placed', orderId, data: { ...base.data, items } }, { source: 'order', correlationId: `c-${orderId}` });
}

function cancelled(orderId: string) {
  return createEvent(
    { type: 'order.cancelled', orderId, data: { reason: 'CANCELLED_BY_CUSTOMER', customerId: 'c', customerEmail: 'c@example.com' } },
    { source: 'order', correlationId: `c-${orderId}` },
  );
}

describe('inventory service', () => {
  it('seeds the catalogue and serves it', async () => {
    const res = await svc.request('/products');
    const list = (await res.json()) as { sku: string }[];
    expect(list.map((p) => p.sku)).toContain('KEYBOARD-01');
    expect((await svc.request('/products/NOPE-1')).status).toBe(404);
  });

  it('reserves every line priced from the catalogue, then releases on cancel', async () => {
    await putProduct('T-RES-1', 5, 700);
    await putProduct('T-RES-2', 5, 300);
    const e = placed([{ sku: 'T-RES-1', quantity: 2 }, { sku: 'T-RES-2', quantity: 1 }]);
    await svc.publisher.publish([e]);
    const reserved = await waitForEvent(svc.testNc, 'inventory.reserved', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(reserved.data).toEqual({
      lines: [
        { sku: 'T-RES-1', quantity: 2, unitPriceCents: 700 },
        { sku: 'T-RES-2', quantity: 1, unitPriceCents: 300 },
      ],
      amountCents: 1700,
      currency: 'EUR',
    });
    expect(reserved.causationId).toBe(e.id);
    expect(reserved.correlationId).toBe(e.correlationId);
    expect(await stockOf('T-RES-1')).toBe(3);

    await svc.publisher.publish([cancelled(e.orderId)]);
    await waitForEvent(svc.testNc, 'inventory.released', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(await stockOf('T-RES-1')).toBe(5);
    expect(await stockOf('T-RES-2')).toBe(5);
  });

  it('reserves nothing when one line is short', async () => {
    await putProduct('T-SHORT-1', 5);
    await putProduct('T-SHORT-2', 1);
    const e = placed([{ sku: 'T-SHORT-1', quantity: 2 }, { sku: 'T-SHORT-2', quantity: 2 }]);
    await svc.publisher.publish([e]);
    const rejected = await waitForEvent(svc.testNc, 'inventory.rejected', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(rejected.data).toEqual({ reason: 'OUT_OF_STOCK', skus: ['T-SHORT-2'] });
    expect(await stockOf('T-SHORT-1')).toBe(5);
  });

  it('rejects an unknown SKU', async () => {
    const e = placed([{ sku: 'NO-SUCH-SKU', quantity: 1 }]);
    await svc.publisher.publish([e]);
    const rejected = await waitForEvent(svc.testNc, 'inventory.rejected', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(rejected.data.reason).toBe('UNKNOWN_SKU');
  });

  it('reserves nothing for an order.placed that arrives after its order.cancelled', async () => {
    await putProduct('T-LATE-1', 3);
    const e = placed([{ sku: 'T-LATE-1', quantity: 1 }]);
    await svc.publisher.publish([cancelled(e.orderId)]);
    await svc.publisher.publish([e]);
    const marker = placed([{ sku: 'T-LATE-1', quantity: 1 }]);
    await svc.publisher.publish([marker]);
    await waitForEvent(svc.testNc, 'inventory.reserved', (x) => x.orderId === marker.orderId, { namespace: svc.namespace });
    expect(await stockOf('T-LATE-1')).toBe(2); // only the marker's unit
    const forLate = (await readEvents(svc.testNc, 'inventory.reserved', { namespace: svc.namespace })).filter((x) => x.orderId === e.orderId);
    expect(forLate).toHaveLength(0);
  });

  it('never oversells under concurrent orders', async () => {
    await putProduct('T-HOT-1', 7);
    const orders = Array.from({ length: 20 }, () => placed([{ sku: 'T-HOT-1', quantity: 1 }]));
    await Promise.all(orders.map((o) => svc.publisher.publish([o])));
    const ids = new Set(orders.map((o) => o.orderId));
    const outcomes = await eventually(async () => {
      const r = (await readEvents(svc.testNc, 'inventory.reserved', { namespace: svc.namespace })).filter((x) => ids.has(x.orderId));
      const j = (await readEvents(svc.testNc, 'inventory.rejected', { namespace: svc.namespace })).filter((x) => ids.has(x.orderId));
      return r.length + j.length === 20 ? { reserved: r.length, rejected: j.length } : undefined;
    }, { timeoutMs: 20_000 });
    expect(outcomes).toEqual({ reserved: 7, rejected: 13 });
    expect(await stockOf('T-HOT-1')).toBe(0);
  });

  it('reserves a burst of orders a batch at a time as it would one by one: shared SKUs, a repeated fact, an unknown SKU, cancels among them', async () => {
    await putProduct('T-BATCH-A', 5, 300);
    await putProduct('T-BATCH-B', 100, 50);
    const orders = Array.from({ length: 8 }, () => placed([{ sku: 'T-BATCH-A', quantity: 1 }, { sku: 'T-BATCH-B', quantity: 2 }]));
    const unknown = placed([{ sku: 'T-BATCH-NONE', quantity: 1 }]);
    const withdrawn = placed([{ sku: 'T-BATCH-B', quantity: 10 }]);
    // One pipelined publish, so the consumer takes them in batches; the second copy of the
    // first order is the same fact under a new id, and the withdrawn order is cancelled after
    // it was placed, in the same burst.
    await svc.publisher.publish([...orders, placed(orders[0]!.data.items, orders[0]!.orderId), unknown, withdrawn, cancelled(withdrawn.orderId)]);
    const ids = new Set([...orders, unknown, withdrawn].map((o) => o.orderId));
    const settled = await eventually(async () => {
      const r = (await readEvents(svc.testNc, 'inventory.reserved', { namespace: svc.namespace })).filter((x) => ids.has(x.orderId));
      const j = (await readEvents(svc.testNc, 'inventory.rejected', { namespace: svc.namespace })).filter((x) => ids.has(x.orderId));
      const released = (await readEvents(svc.testNc, 'inventory.released', { namespace: svc.namespace })).filter((x) => ids.has(x.orderId));
      return r.length + j.length === 10 && released.length === 1 ? { r, j } : undefined;
    }, { timeoutMs: 20_000 });
    // Orders are decided in delivery order: the first five take the five A's.
    expect(settled.r.map((e) => e.orderId).sort()).toEqual([...orders.slice(0, 5).map((o) => o.orderId), withdrawn.orderId].sort());
    expect(settled.r.find((e) => e.orderId === orders[0]!.orderId)!.data.amountCents).toBe(400);
    expect(settled.j.map((e) => [e.orderId, e.data.reason]).sort()).toEqual(
      [...orders.slice(5).map((o) => [o.orderId, 'OUT_OF_STOCK']), [unknown.orderId, 'UNKNOWN_SKU']].sort(),
    );
    expect(await stockOf('T-BATCH-A')).toBe(0);
    expect(await stockOf('T-BATCH-B')).toBe(90); // five orders of 2; the withdrawn 10 came back
  });

  it('answers 400 naming the field for a bad product body', async () => {
    const res = await svc.request('/products/T-BAD-1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', priceCents: -1, currency: 'EUR', stock: 1 }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('priceCents');
  });
});
