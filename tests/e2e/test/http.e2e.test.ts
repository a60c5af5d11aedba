import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder } from '../src/flow.js';
import { startStack, type Stack } from '../src/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ only: ['order', 'inventory'] });
});
afterAll(async () => {
  await stack?.close();
});

describe('HTTP contract: bad input gets a clear status, never a 500', () => {
  it.each([
    ['missing items', { ...orderBody(), items: undefined }, 'items'],
    ['quantity 0', orderBody({ items: [{ sku: 'KEYBOARD-01', quantity: 0 }] }), 'items.0.quantity'],
    ['bad email', orderBody({ customerEmail: 'not-an-email' }), 'customerEmail'],
    ['bad country', { ...orderBody(), shippingAddress: { ...orderBody().shippingAddress, country: 'Nowhere' } }, 'shippingAddress.country'],
  ])('400 for %s, naming the field', async (_name, body, field) => {
    const res = await stack.call<{ issues?: { path: string }[] }>('order', '/orders', { body });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
  });

  it('400 for a body that is not JSON, 413 for one over 1 MB', async () => {
    expect((await stack.call('order', '/orders', { body: '{"customerId": ', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const huge = { ...orderBody(), customerId: 'x'.repeat(1024 * 1024 + 10) };
    expect((await stack.call('order', '/orders', { body: huge })).status).toBe(413);
  });

  it('404 for an unknown order, 400 for a malformed id', async () => {
    expect((await stack.call('order', `/orders/${randomUUID()}`)).status).toBe(404);
    expect((await stack.call('order', '/orders/not-a-uuid')).status).toBe(400);
    expect((await stack.call('order', `/orders/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('Idempotency-Key: same body → same order; another body → 409', async () => {
    const key = `idem-${randomUUID()}`;
    const body = orderBody();
    const a = await placeOrder(stack, body, { 'Idempotency-Key': key });
    const b = await placeOrder(stack, body, { 'Idempotency-Key': key });
    expect(b.body.orderId).toBe(a.body.orderId);
    const c = await stack.call('order', '/orders', { body: { ...body, paymentToken: 'tok_other' }, headers: { 'Idempotency-Key': key } });
    expect(c.status).toBe(409);
  });
});
