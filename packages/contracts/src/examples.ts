import { randomUUID } from 'node:crypto';
import { findSchema, latestVersion } from './catalog.js';
import type { EventData, EventOf, EventType } from './events.js';

/** Fields of an example envelope a test may pin; `data` is merged shallowly over the example's. */
export interface ExampleOverrides<T extends EventType> {
  readonly id?: string;
  readonly orderId?: string;
  readonly occurredAt?: string;
  readonly correlationId?: string;
  readonly causationId?: string | null;
  readonly data?: Partial<EventData<T>>;
}

const customer = { customerId: 'cus_42', customerEmail: 'ada@example.com' } as const;

/** A valid `data` of the newest version of every type. A new version must update its entry. */
const exampleData: { readonly [T in EventType]: () => EventData<T> } = {
  'order.placed': () => ({
    ...customer,
    items: [
      { sku: 'SKU-RED-MUG', quantity: 2 },
      { sku: 'SKU-TEA-250', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentToken: 'tok_visa',
  }),
  'order.confirmed': () => ({ ...customer, amountCents: 2_850, currency: 'EUR', trackingNumber: 'TRK-0001' }),
  'order.cancelled': () => ({ ...customer, reason: 'OUT_OF_STOCK' }),
  'inventory.reserved': () => ({
    lines: [
      { sku: 'SKU-RED-MUG', quantity: 2, unitPriceCents: 900 },
      { sku: 'SKU-TEA-250', quantity: 1, unitPriceCents: 1_050 },
    ],
    amountCents: 2_850,
    currency: 'EUR',
  }),
  'inventory.rejected': () => ({ reason: 'OUT_OF_STOCK', skus: ['SKU-RED-MUG'] }),
  'inventory.released': () => ({ lines: [{ sku: 'SKU-RED-MUG', quantity: 2 }] }),
  'payment.authorized': () => ({ paymentId: randomUUID(), amountCents: 2_850, currency: 'EUR' }),
  'payment.declined': () => ({ reason: 'PAYMENT_DECLINED', amountCents: 2_850, currency: 'EUR' }),
  'payment.refunded': () => ({ paymentId: randomUUID(), amountCents: 2_850, currency: 'EUR' }),
  'shipment.scheduled': () => ({ shipmentId: randomUUID(), trackingNumber: 'TRK-0001' }),
  'shipment.failed': () => ({ reason: 'SHIPPING_UNAVAILABLE', country: 'AQ' }),
  'shipment.cancelled': () => ({ shipmentId: randomUUID(), trackingNumber: 'TRK-0001' }),
  'notification.sent': () => ({
    notificationId: randomUUID(),
    kind: 'order.confirmed',
    recipient: customer.customerEmail,
    channel: 'log',
  }),
};

/**
 * A valid example event of one type at its newest version, for tests (this package's and
 * others'). `id`, `orderId`, `causationId` and generated ids in `data` are fresh UUIDs on every
 * call: JetStream silently drops a second publish with the same `Nats-Msg-Id` inside the
 * duplicate window, so a fixed id would make tests sharing a server swallow each other's events.
 * Pin them through `overrides` when a test needs determinism. Overrides are not validated, so a
 * test can build an invalid event on purpose.
 */
export function exampleEvent<T extends EventType>(type: T, overrides: ExampleOverrides<T> = {}): EventOf<T> {
  const version = latestVersion(type);
  const entry = findSchema(type, version);
  if (!entry) throw new Error(`no catalogue entry for ${type}@${version}`);
  const data = exampleData[type]();
  return {
    id: overrides.id ?? randomUUID(),
    type,
    version,
    occurredAt: overrides.occurredAt ?? '2025-01-01T12:00:00.000Z',
    source: entry.source,
    correlationId: overrides.correlationId ?? 'corr-example',
    // order.placed is caused by an HTTP request; everything else by an earlier event.
    causationId: overrides.causationId !== undefined ? overrides.causationId : type === 'order.placed' ? null : randomUUID(),
    orderId: overrides.orderId ?? randomUUID(),
    data: { ...data, ...overrides.data },
  } as unknown as EventOf<T>;
}
