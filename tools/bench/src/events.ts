import { randomUUID } from 'node:crypto';
import { createEvent, type AnyEventDraft, type InventoryReserved, type OrderPlaced } from '@orderflow/contracts';

/**
 * The event every relay and raw figure moves: an `inventory.reserved` of two lines, about 450
 * bytes of JSON, the size of a typical event of the flow.
 */
export function reservedDraft(orderId: string = randomUUID()): AnyEventDraft {
  return {
    type: 'inventory.reserved',
    orderId,
    data: {
      lines: [
        { sku: 'SKU-RED-MUG', quantity: 2, unitPriceCents: 900 },
        { sku: 'SKU-TEA-250', quantity: 1, unitPriceCents: 1_050 },
      ],
      amountCents: 2_850,
      currency: 'EUR',
    },
  };
}

export function reservedEvent(): InventoryReserved {
  return createEvent(reservedDraft(), {
    source: 'inventory',
    cause: { id: randomUUID(), correlationId: `corr-${randomUUID()}` },
  }) as InventoryReserved;
}

/** An `order.placed` as the order service emits it: what the runner scenario consumes. */
export function orderPlaced(): OrderPlaced {
  return createEvent(
    {
      type: 'order.placed',
      orderId: randomUUID(),
      data: {
        customerId: 'cus_42',
        customerEmail: 'ada@example.com',
        items: [
          { sku: 'SKU-RED-MUG', quantity: 2 },
          { sku: 'SKU-TEA-250', quantity: 1 },
        ],
        shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
        paymentToken: 'tok_visa',
      },
    },
    { source: 'order', correlationId: `corr-${randomUUID()}` },
  );
}
