import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { exampleEvent, type EventData, type EventOf, type EventType } from '@orderflow/contracts';
import { listDeadLetters } from '@orderflow/messaging';
import { readEvents, waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { loadEnv, orderService } from '../src/service.js';
import type { OrderSchema } from '../src/db/schema.js';

let svc: TestService<OrderSchema>;
beforeAll(async () => {
  svc = await startTestService(orderService, loadEnv);
});
afterAll(async () => {
  await svc?.close();
});

interface OrderBody {
  orderId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  cancellationReason?: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
  amount?: number;
  currency?: string;
  correlationId: string;
  timeline: { type: string; occurredAt: string }[];
}

function orderRequest(overrides: Record<string, unknown> = {}) {
  return {
    customerId: `cus_${randomUUID().slice(0, 8)}`,
    customerEmail: 'ada@example.com',
    items: [
      { sku: 'KEYBOARD-01', quantity: 1 },
      { sku: 'MOUSE-01', quantity: 2 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentToken: 'tok_visa',
    ...overrides,
  };
}

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return svc.request('/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Places an order and returns its id and correlation id. */
async function place(overrides: Record<string, unknown> = {}): Promise<{ orderId: string; correlationId: string }> {
  const res = await post(orderRequest(overrides));
  expect(res.status).toBe(202);
  return (await res.json()) as { orderId: string; correlationId: string };
}

async function getOrder(orderId: string): Promise<OrderBody> {
  const res = await svc.request(`/orders/${orderId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as OrderBody;
}

async function until(orderId: string, check: (o: OrderBody) => boolean, timeoutMs = 15_000): Promise<OrderBody> {
  return eventually(
    async () => {
      const o = await getOrder(orderId);
      return check(o) ? o : undefined;
    },
    { timeoutMs, message: `order ${orderId}` },
  );
}

/** A participant's event for an order, as if caused by the flow (its correlation id, a fresh id, now). */
function reply<T extends EventType>(type: T, order: { orderId: string; correlationId: string }, data?: Partial<EventData<T>>): EventOf<T> {
  return exampleEvent(type, {
    orderId: order.orderId,
    correlationId: order.correlationId,
    occurredAt: new Date().toISOString(),
    ...(data === undefined ? {} : { data }),
  });
}

async function publish(...events: EventOf<EventType>[]): Promise<void> {
  await svc.publisher.publish(events);
}

async function eventsFor<T extends EventType>(type: T, orderId: string): Promise<EventOf<T>[]> {
  return (await readEvents(svc.testNc, type, { namespace: svc.namespace })).filter((e) => e.orderId === orderId);
}

function waitFor<T extends EventType>(type: T, orderId: string): Promise<EventOf<T>> {
  return waitForEvent(svc.testNc, type, (e) => e.orderId === orderId, { namespace: svc.namespace, timeoutMs: 15_000 });
}

async function issuesOf(res: Response): Promise<string[]> {
  const body = (await res.json()) as { issues?: { path: string }[] };
  return (body.issues ?? []).map((i) => i.path);
}

describe('POST /orders', () => {
  it('answers 202 with Location and the echoed correlation id, and emits order.placed with it', async () => {
    const body = orderRequest();
    const res = await post(
      // Client-supplied prices are not part of the contract: stripped, never read.
      { ...body, amount: 1, items: body.items.map((i) => ({ ...i, unitPriceCents: 1 })) },
      { 'x-correlation-id': 'corr-test-placed-1' },
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('x-correlation-id')).toBe('corr-test-placed-1');
    const placed = (await res.json()) as { orderId: string; status: string; correlationId: string };
    expect(placed).toEqual({ orderId: expect.any(String), status: 'PENDING', correlationId: 'corr-test-placed-1' });
    expect(res.headers.get('location')).toBe(`/orders/${placed.orderId}`);

    const event = await waitFor('order.placed', placed.orderId);
    expect(event.correlationId).toBe('corr-test-placed-1');
    expect(event.causationId).toBeNull();
    expect(event.source).toBe('order');
    expect(event.data).toEqual(body);

    const order = await getOrder(placed.orderId);
    expect(order).toMatchObject({ orderId: placed.orderId, status: 'PENDING', customerId: body.customerId, items: body.items });
    expect(order.correlationId).toBe('corr-test-placed-1');
    expect(order.amount).toBeUndefined();
    expect(order.cancellationReason).toBeUndefined();
    expect(order.timeline.map((t) => t.type)).toEqual(['order.placed']);
    expect(order.timeline[0]!.occurredAt).toBe(event.occurredAt);
  });

  it('generates a correlation id when the client sends none, the same in header, body and event', async () => {
    const res = await post(orderRequest());
    const placed = (await res.json()) as { orderId: string; correlationId: string };
    expect(placed.correlationId).toBeTruthy();
    expect(res.headers.get('x-correlation-id')).toBe(placed.correlationId);
    expect((await waitFor('order.placed', placed.orderId)).correlationId).toBe(placed.correlationId);
  });

  it('returns the same order for the same Idempotency-Key and body, with one event', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderRequest();
    const first = await post(body, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const a = (await first.json()) as { orderId: string; correlationId: string };
    // Same content, other key order and another correlation id: still a retry of the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const second = await post(reordered, { 'idempotency-key': key, 'x-correlation-id': 'corr-retry' });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(`/orders/${a.orderId}`);
    const b = (await second.json()) as { orderId: string; correlationId: string };
    expect(b).toEqual({ orderId: a.orderId, status: 'PENDING', correlationId: a.correlationId });

    await waitFor('order.placed', a.orderId);
    const listed = (await (await svc.request(`/orders?customerId=${body.customerId}`)).json()) as { items: unknown[] };
    expect(listed.items).toHaveLength(1);
    expect(await eventsFor('order.placed', a.orderId)).toHaveLength(1);
  });

  it('answers 409 for the same Idempotency-Key with another body', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderRequest();
    expect((await post(body, { 'idempotency-key': key })).status).toBe(202);
    const res = await post({ ...body, items: [{ sku: 'KEYBOARD-01', quantity: 5 }] }, { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe('CONFLICT');
  });

  it('makes one order of concurrent identical requests with one Idempotency-Key', async () => {
    const key = `key-${randomUUID()}`;
    const body = orderRequest();
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(body, { 'idempotency-key': key })));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(202));
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { orderId: string }).orderId)));
    expect(ids.size).toBe(1);
    const [orderId] = [...ids];
    await waitFor('order.placed', orderId!);
    const listed = (await (await svc.request(`/orders?customerId=${body.customerId}`)).json()) as { items: unknown[] };
    expect(listed.items).toHaveLength(1);
    expect(await eventsFor('order.placed', orderId!)).toHaveLength(1);
  });

  it('stores concurrent orders exactly as sent, awkward text included, each with its placed timeline entry', async () => {
    // Concurrent requests share a group commit, whose orders and timeline entries go in one
    // set-based statement each (values inlined as array literals): nothing may be lost in quoting.
    const awkward = `O'Brien "the \\ one" {a,b} NULL ✓`;
    const bodies = Array.from({ length: 20 }, (_, k) =>
      orderRequest({
        customerEmail: `o'brien+${k}@example.com`,
        shippingAddress: { name: `${awkward} ${k}`, line1: 'a\\b "c"', city: "L'Aquila", postalCode: '{}', country: 'IT' },
      }),
    );
    const responses = await Promise.all(bodies.map((b, k) => post(b, k % 2 === 0 ? { 'idempotency-key': `key-${randomUUID()}` } : {})));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { orderId: string }).orderId));
    const { rows } = await svc.deps.pool.query<{ id: string; customer_email: string; items: unknown; shipping_address: unknown; keyed: boolean }>(
      'select id, customer_email, items, shipping_address, idempotency_key is not null as keyed from orders where id = any($1::uuid[])',
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    ids.forEach((id, k) => {
      const body = bodies[k]!;
      expect(byId.get(id)).toEqual({ id, customer_email: body.customerEmail, items: body.items, shipping_address: body.shippingAddress, keyed: k % 2 === 0 });
    });
    for (const id of ids) expect((await getOrder(id)).timeline.map((t) => t.type)).toContain('order.placed');
  });

  it('answers 400 naming the field for invalid bodies', async () => {
    const { items: _items, ...noItems } = orderRequest();
    const cases: [unknown, string][] = [
      [noItems, 'items'],
      [orderRequest({ items: [] }), 'items'],
      [orderRequest({ items: [{ sku: 'KEYBOARD-01', quantity: 0 }] }), 'items.0.quantity'],
      [orderRequest({ items: [{ sku: 'KEYBOARD-01', quantity: 1.5 }] }), 'items.0.quantity'],
      [orderRequest({ items: [{ sku: 'lower case', quantity: 1 }] }), 'items.0.sku'],
      [orderRequest({ customerEmail: 'not-an-email' }), 'customerEmail'],
      [orderRequest({ customerId: '' }), 'customerId'],
      [orderRequest({ paymentToken: '4111111111111111' }), 'paymentToken'],
      [orderRequest({ shippingAddress: { ...orderRequest().shippingAddress, country: 'Britain' } }), 'shippingAddress.country'],
      [orderRequest({ shippingAddress: { ...orderRequest().shippingAddress, city: undefined } }), 'shippingAddress.city'],
      // Postgres cannot store U+0000: the client's mistake, so a 400, not a 500.
      [orderRequest({ customerId: 'a\u0000b' }), 'customerId'],
      [orderRequest({ shippingAddress: { ...orderRequest().shippingAddress, name: 'x\u0000' } }), 'shippingAddress.name'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, field).toBe(400);
      expect(await issuesOf(res), field).toContain(field);
    }
  });

  it('answers 400 for a body that is not JSON or not an object, never 500', async () => {
    const notJson = await post('{"customerId": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('INVALID_JSON');
    for (const body of ['[]', '"order"', 'null', '42']) expect((await post(body)).status, body).toBe(400);
    const noBody = await svc.request('/orders', { method: 'POST' });
    expect(noBody.status).toBe(400);
    const text = await svc.request('/orders', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(400); // Fastify parses text/plain to a string, which is not an order
  });

  it('answers 400 naming a bad Idempotency-Key header', async () => {
    const res = await post(orderRequest(), { 'idempotency-key': 'has spaces in it' });
    expect(res.status).toBe(400);
    expect(await issuesOf(res)).toContain('idempotency-key');
  });

  it('answers 413 for a body over 1 MB', async () => {
    const res = await post(orderRequest({ customerId: 'x'.repeat(1024 * 1024 + 10) }));
    expect(res.status).toBe(413);
  });
});

describe('GET /orders/:id', () => {
  it('answers 404 for an unknown id and 400 naming the id for a malformed one', async () => {
    const unknown = await svc.request(`/orders/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe('NOT_FOUND');
    const malformed = await svc.request('/orders/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(await issuesOf(malformed)).toContain('id');
  });
});

describe('odd requests', () => {
  it('never answers 500 to anything a client can send', async () => {
    const id = (await place()).orderId;
    const requests: [string, RequestInit?][] = [
      ['/orders/%zz'],
      ['/orders?limit=%zz'],
      [`/orders?cursor=${'A'.repeat(5000)}`],
      [`/orders/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }],
      [`/orders/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason": 1}' }],
      ['/orders', { method: 'PUT' }],
      ['/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__": {"x": 1}}' }],
    ];
    for (const [path, init] of requests) {
      const res = await svc.request(path, init);
      expect(res.status, path).toBeGreaterThanOrEqual(200);
      expect(res.status, path).toBeLessThan(500);
    }
  });
});

describe('GET /orders', () => {
  it('pages newest first with an opaque cursor, and filters by customer and status', async () => {
    const customerId = `cus_list_${randomUUID().slice(0, 8)}`;
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await place({ customerId })).orderId);
    await place(); // another customer's order, never listed below

    const pages: { items: { orderId: string; status: string; createdAt: string }[]; nextCursor: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `customerId=${customerId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await svc.request(`/orders?${qs}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as (typeof pages)[number];
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.items.map((o) => o.orderId))).toEqual([...placed].reverse());

    const cancelled = placed[1]!;
    expect((await svc.request(`/orders/${cancelled}/cancel`, { method: 'POST' })).status).toBe(202);
    const onlyCancelled = (await (await svc.request(`/orders?customerId=${customerId}&status=CANCELLED`)).json()) as (typeof pages)[number];
    expect(onlyCancelled.items.map((o) => o.orderId)).toEqual([cancelled]);
    expect(onlyCancelled.nextCursor).toBeNull();
    const pending = (await (await svc.request(`/orders?customerId=${customerId}&status=PENDING`)).json()) as (typeof pages)[number];
    expect(pending.items).toHaveLength(4);

    const all = (await (await svc.request('/orders')).json()) as (typeof pages)[number];
    expect(all.items.length).toBeGreaterThanOrEqual(6);
    expect(all.items.length).toBeLessThanOrEqual(20);
  });

  it('answers 400 naming the field for bad query parameters', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['status=SHIPPED', 'status'],
      ['customerId=a%00b', 'customerId'],
      ['customerId=a&customerId=b', 'customerId'],
      ['cursor=definitely-not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('{"t":"2025-01-01T00:00:00.000Z","id":"x"}').toString('base64url')}`, 'cursor'],
    ];
    for (const [qs, field] of cases) {
      const res = await svc.request(`/orders?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(await issuesOf(res), qs).toContain(field);
    }
  });
});

describe('POST /orders/:id/cancel', () => {
  it('cancels a PENDING order with order.cancelled, then answers 409', async () => {
    const order = await place();
    const res = await svc.request(`/orders/${order.orderId}/cancel`, { method: 'POST', headers: { 'x-correlation-id': 'corr-cancel' } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ orderId: order.orderId, status: 'CANCELLED' });

    const event = await waitFor('order.cancelled', order.orderId);
    expect(event.data).toEqual({ reason: 'CANCELLED_BY_CUSTOMER', customerId: expect.any(String), customerEmail: 'ada@example.com' });
    // The order's own correlation id: one id traces the order, compensation included.
    expect(event.correlationId).toBe(order.correlationId);
    const after = await getOrder(order.orderId);
    expect(after.status).toBe('CANCELLED');
    expect(after.cancellationReason).toBe('CANCELLED_BY_CUSTOMER');
    expect(after.timeline.map((t) => t.type)).toEqual(['order.placed', 'order.cancelled']);

    const again = await svc.request(`/orders/${order.orderId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await eventsFor('order.cancelled', order.orderId)).toHaveLength(1);
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    expect((await svc.request(`/orders/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(404);
    expect((await svc.request('/orders/123/cancel', { method: 'POST' })).status).toBe(400);
  });
});

describe('participant events', () => {
  it('confirms after inventory.reserved, payment.authorized and shipment.scheduled, with the amount and the timeline', async () => {
    const order = await place();
    await sleep(5);
    const reserved = reply('inventory.reserved', order);
    await publish(reserved);
    await until(order.orderId, (o) => o.amount === 2850);
    await publish(reply('payment.authorized', order));
    await until(order.orderId, (o) => o.timeline.some((t) => t.type === 'payment.authorized'));
    const scheduled = reply('shipment.scheduled', order, { trackingNumber: 'TRK-42' });
    await publish(scheduled);

    const confirmed = await waitFor('order.confirmed', order.orderId);
    expect(confirmed.data).toEqual({
      customerId: expect.any(String),
      customerEmail: 'ada@example.com',
      amountCents: 2850,
      currency: 'EUR',
      trackingNumber: 'TRK-42',
    });
    expect(confirmed.causationId).toBe(scheduled.id);
    expect(confirmed.correlationId).toBe(order.correlationId);

    const o = await until(order.orderId, (x) => x.status === 'CONFIRMED');
    expect(o).toMatchObject({ amount: 2850, currency: 'EUR' });
    expect(o.timeline.map((t) => t.type)).toEqual([
      'order.placed',
      'inventory.reserved',
      'payment.authorized',
      'shipment.scheduled',
      'order.confirmed',
    ]);
    const times = o.timeline.map((t) => Date.parse(t.occurredAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(o.timeline[1]!.occurredAt).toBe(reserved.occurredAt);

    // Redelivered (same event) and re-emitted (same fact, new id): one order.confirmed, one timeline entry each.
    await publish(scheduled, reply('shipment.scheduled', order, { trackingNumber: 'TRK-42' }), reply('inventory.reserved', order));
    const marker = reply('notification.sent', order, { kind: 'order.confirmed' });
    await publish(marker);
    const final = await until(order.orderId, (x) => x.timeline.some((t) => t.type === 'notification.sent'));
    await sleep(300);
    expect(await eventsFor('order.confirmed', order.orderId)).toHaveLength(1);
    expect((await getOrder(order.orderId)).timeline.map((t) => t.type)).toEqual([...o.timeline.map((t) => t.type), 'notification.sent']);
    expect(final.status).toBe('CONFIRMED');
  });

  it('confirms when shipment.scheduled arrives before inventory.reserved: parked, no retries', async () => {
    const order = await place();
    await sleep(5);
    const scheduled = reply('shipment.scheduled', order);
    await publish(scheduled);
    // Handled once and kept on the order (its timeline shows it), not retried.
    await until(order.orderId, (x) => x.timeline.some((t) => t.type === 'shipment.scheduled'), 10_000);
    expect((await getOrder(order.orderId)).status).toBe('PENDING');
    await publish(reply('inventory.reserved', order, { amountCents: 1234 }));
    const confirmed = await waitFor('order.confirmed', order.orderId);
    expect(confirmed.data.amountCents).toBe(1234);
    const o = await until(order.orderId, (x) => x.status === 'CONFIRMED', 30_000);
    expect(o.amount).toBe(1234);
    expect(o.timeline.map((t) => t.type).sort()).toEqual(['inventory.reserved', 'order.confirmed', 'order.placed', 'shipment.scheduled']);
  });

  it('cancels OUT_OF_STOCK on inventory.rejected; a late shipment.scheduled leaves it CANCELLED with no order.confirmed', async () => {
    const order = await place();
    await publish(reply('inventory.rejected', order, { reason: 'OUT_OF_STOCK', skus: ['MOUSE-01'] }));
    const cancelled = await waitFor('order.cancelled', order.orderId);
    expect(cancelled.data.reason).toBe('OUT_OF_STOCK');
    const o = await until(order.orderId, (x) => x.status === 'CANCELLED');
    expect(o.cancellationReason).toBe('OUT_OF_STOCK');

    // Late and duplicate answers: recorded on the timeline, changing nothing.
    await publish(reply('inventory.reserved', order), reply('inventory.rejected', order, { reason: 'OUT_OF_STOCK', skus: ['MOUSE-01'] }));
    await until(order.orderId, (x) => x.amount !== undefined);
    await publish(reply('shipment.scheduled', order));
    const after = await until(order.orderId, (x) => x.timeline.some((t) => t.type === 'shipment.scheduled'));
    expect(after.status).toBe('CANCELLED');
    expect(after.cancellationReason).toBe('OUT_OF_STOCK');
    await sleep(300);
    expect(await eventsFor('order.confirmed', order.orderId)).toHaveLength(0);
    expect(await eventsFor('order.cancelled', order.orderId)).toHaveLength(1);
  });

  it('cancels PAYMENT_DECLINED on payment.declined and SHIPPING_UNAVAILABLE on shipment.failed', async () => {
    const declined = await place();
    const failed = await place();
    await publish(reply('inventory.reserved', declined), reply('payment.declined', declined));
    await publish(reply('inventory.reserved', failed), reply('shipment.failed', failed));
    expect((await waitFor('order.cancelled', declined.orderId)).data.reason).toBe('PAYMENT_DECLINED');
    expect((await waitFor('order.cancelled', failed.orderId)).data.reason).toBe('SHIPPING_UNAVAILABLE');
    expect((await until(declined.orderId, (x) => x.status === 'CANCELLED')).cancellationReason).toBe('PAYMENT_DECLINED');
    expect((await until(failed.orderId, (x) => x.status === 'CANCELLED')).cancellationReason).toBe('SHIPPING_UNAVAILABLE');
  });

  it('cancels a CONFIRMED order on request and records the compensation on the timeline', async () => {
    const order = await place();
    await publish(reply('inventory.reserved', order));
    await until(order.orderId, (o) => o.amount !== undefined);
    await publish(reply('shipment.scheduled', order));
    await until(order.orderId, (o) => o.status === 'CONFIRMED');

    const res = await svc.request(`/orders/${order.orderId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    const cancelled = await waitFor('order.cancelled', order.orderId);
    expect(cancelled.data.reason).toBe('CANCELLED_BY_CUSTOMER');
    expect((await getOrder(order.orderId)).status).toBe('CANCELLED');

    await sleep(5);
    await publish(reply('inventory.released', order), reply('payment.refunded', order), reply('shipment.cancelled', order));
    await publish(reply('notification.sent', order, { kind: 'order.cancelled' }));
    const o = await until(order.orderId, (x) => x.timeline.length >= 9);
    expect(o.status).toBe('CANCELLED');
    const types = o.timeline.map((t) => t.type);
    expect(types.slice(0, 5)).toEqual(['order.placed', 'inventory.reserved', 'shipment.scheduled', 'order.confirmed', 'order.cancelled']);
    expect(new Set(types.slice(5))).toEqual(
      new Set(['inventory.released', 'payment.refunded', 'shipment.cancelled', 'notification.sent']),
    );
    expect((await svc.request(`/orders/${order.orderId}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('never loses a cancel racing a confirm: ends CANCELLED with exactly one order.cancelled', async () => {
    const orders = await Promise.all(Array.from({ length: 5 }, () => place()));
    for (const o of orders) await publish(reply('inventory.reserved', o));
    await Promise.all(orders.map((o) => until(o.orderId, (x) => x.amount !== undefined)));
    await Promise.all(
      orders.flatMap((o) => [publish(reply('shipment.scheduled', o)), svc.request(`/orders/${o.orderId}/cancel`, { method: 'POST' })]),
    );
    for (const o of orders) {
      await waitFor('order.cancelled', o.orderId);
      const final = await until(o.orderId, (x) => x.timeline.some((t) => t.type === 'shipment.scheduled'));
      expect(final.status).toBe('CANCELLED');
      expect(await eventsFor('order.cancelled', o.orderId)).toHaveLength(1);
      // Either the confirm came first (then it was cancelled after) or it was ignored: never confirmed after the cancel.
      const types = final.timeline.map((t) => t.type);
      if (types.includes('order.confirmed')) expect(types.indexOf('order.confirmed')).toBeLessThan(types.indexOf('order.cancelled'));
    }
  });

  it('applies a burst of events a batch at a time as it would one by one: overtaking, repeated facts, a stranger among them', async () => {
    const orders = await Promise.all(Array.from({ length: 12 }, () => place()));
    const [rejected, repeated, ...confirming] = orders as [(typeof orders)[0], (typeof orders)[0], ...typeof orders];
    const stranger = { orderId: randomUUID(), correlationId: 'corr-stranger-batch' };
    // Each stream's events in one pipelined publish, so the consumers take them in batches.
    await Promise.all([
      publish(
        ...confirming.map((o, k) => reply('inventory.reserved', o, { amountCents: 100 + k })),
        reply('inventory.rejected', rejected, { reason: 'OUT_OF_STOCK' }),
        reply('inventory.reserved', repeated, { amountCents: 7 }),
        reply('inventory.reserved', repeated, { amountCents: 8 }), // the same fact under a new id: ignored
        reply('inventory.reserved', stranger),
      ),
      publish(...[...confirming, repeated, rejected].map((o) => reply('shipment.scheduled', o, { trackingNumber: `T-${o.orderId.slice(0, 6)}` }))),
    ]);
    for (const [k, o] of confirming.entries()) {
      const x = await until(o.orderId, (y) => y.status === 'CONFIRMED');
      expect(x.amount).toBe(100 + k);
    }
    const r = await until(repeated.orderId, (y) => y.status === 'CONFIRMED');
    expect(r.amount).toBe(7);
    expect(r.timeline.map((t) => t.type).sort()).toEqual(['inventory.reserved', 'order.confirmed', 'order.placed', 'shipment.scheduled']);
    const c = await until(rejected.orderId, (y) => y.status === 'CANCELLED');
    expect(c.cancellationReason).toBe('OUT_OF_STOCK');
    for (const o of [...confirming, repeated]) expect(await eventsFor('order.confirmed', o.orderId)).toHaveLength(1);
    expect(await eventsFor('order.confirmed', rejected.orderId)).toHaveLength(0);
    const jsm = await jetstreamManager(svc.testNc);
    const letters = await eventually(async () => {
      const all = await listDeadLetters(jsm, { namespace: svc.namespace, consumer: 'order-inventory-events' });
      return all.length > 0 ? all : undefined;
    });
    expect(letters.map((l) => l.originalSubject)).toEqual([expect.stringContaining(stranger.orderId)]);
  });

  it('keeps an order on its page through the answers that update it (HOT updates: no new index entries, no dead tuples for vacuum)', async () => {
    // A row updated on a page with no room for its new version moves to another page, with a new
    // entry in each of the table's indexes; one updated in place (HOT) keeps its page. The orders
    // table leaves room for that on insert (migration 0001); with full pages most of these moved.
    const orders = await Promise.all(Array.from({ length: 60 }, () => place()));
    const ids = orders.map((o) => o.orderId);
    const pages = async () => {
      const { rows } = await svc.deps.pool.query<{ id: string; page: number }>(
        `select id, (ctid::text::point)[0]::int as page from orders where id = any($1::uuid[])`,
        [ids],
      );
      return new Map(rows.map((r) => [r.id, r.page]));
    };
    const before = await pages();
    await publish(...orders.map((o) => reply('inventory.reserved', o)));
    for (const o of orders) await until(o.orderId, (x) => x.amount !== undefined);
    await publish(...orders.map((o) => reply('shipment.scheduled', o, { trackingNumber: `T-${o.orderId.slice(0, 6)}` })));
    for (const o of orders) await until(o.orderId, (x) => x.status === 'CONFIRMED');
    const after = await pages();
    const moved = ids.filter((id) => after.get(id) !== before.get(id));
    expect(moved.length).toBeLessThanOrEqual(ids.length / 10);
  });

  it('dead-letters an event for an order it never placed', async () => {
    const stranger = { orderId: randomUUID(), correlationId: 'corr-stranger' };
    await publish(reply('payment.authorized', stranger));
    const jsm = await jetstreamManager(svc.testNc);
    const letters = await eventually(async () => {
      const all = await listDeadLetters(jsm, { namespace: svc.namespace, consumer: 'order-payment-events' });
      return all.length > 0 ? all : undefined;
    });
    expect(letters[0]!.reason).toBe('permanent');
    expect(letters[0]!.originalSubject).toContain(stranger.orderId);
  });
});
