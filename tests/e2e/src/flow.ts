import { randomUUID } from 'node:crypto';
import { eventually } from '@orderflow/testkit';
import type { Stack } from './stack.js';

export interface OrderView {
  orderId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  cancellationReason?: string;
  customerId: string;
  amount?: number;
  currency?: string;
  correlationId: string;
  timeline: { type: string; occurredAt: string }[];
}

export interface OrderRequest {
  customerId: string;
  customerEmail: string;
  items: { sku: string; quantity: number }[];
  shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string };
  paymentToken: string;
}

/** A valid order body; override what the test is about. */
export function orderBody(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    customerEmail: 'ada@example.com',
    items: [{ sku: 'KEYBOARD-01', quantity: 1 }],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentToken: 'tok_visa',
    ...overrides,
  };
}

/** Upserts a product so a test owns its stock. */
export async function setProduct(stack: Stack, sku: string, stock: number, priceCents = 1000): Promise<void> {
  const res = await stack.call('inventory', `/products/${sku}`, {
    method: 'PUT',
    body: { name: `Test ${sku}`, priceCents, currency: 'EUR', stock },
  });
  if (res.status !== 200) throw new Error(`PUT /products/${sku}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function stockOf(stack: Stack, sku: string): Promise<number> {
  return (await stack.call<{ stock: number }>('inventory', `/products/${sku}`)).body.stock;
}

export async function placeOrder(stack: Stack, body: OrderRequest, headers: Record<string, string> = {}) {
  const res = await stack.call<{ orderId: string; status: string; correlationId: string }>('order', '/orders', { body, headers });
  if (res.status !== 202) throw new Error(`POST /orders: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

export async function getOrder(stack: Stack, orderId: string): Promise<OrderView> {
  return (await stack.call<OrderView>('order', `/orders/${orderId}`)).body;
}

/** Waits until the order reaches `status` (and, if given, the timeline holds `withEvent`). */
export async function waitForOrder(
  stack: Stack,
  orderId: string,
  status: OrderView['status'],
  options: { withEvent?: string; timeoutMs?: number } = {},
): Promise<OrderView> {
  return eventually(
    async () => {
      const o = await getOrder(stack, orderId);
      return o.status === status && (!options.withEvent || o.timeline.some((t) => t.type === options.withEvent)) ? o : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 20_000, message: `order ${orderId} did not reach ${status}` },
  );
}

export async function paymentsOf(stack: Stack, orderId: string) {
  return (await stack.call<{ paymentId: string; status: string; amountCents: number }[]>('payment', `/payments?orderId=${orderId}`)).body;
}

export async function shipmentsOf(stack: Stack, orderId: string) {
  return (await stack.call<{ shipmentId: string; status: string; trackingNumber: string }[]>('shipping', `/shipments?orderId=${orderId}`)).body;
}

export async function notificationsOf(stack: Stack, orderId: string) {
  return (await stack.call<{ type: string; recipient: string }[]>('notification', `/notifications?orderId=${orderId}`)).body;
}
