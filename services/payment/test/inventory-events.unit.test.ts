import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, type InventoryReserved } from '@orderflow/contracts';
import { isNotReadyError, silentLogger, type EventFailure, type ParameterizedQuery } from '@orderflow/messaging';
import { handleInventoryEvents } from '../src/handlers/inventory-events.js';

function reserved(orderId: string): InventoryReserved {
  const data = { lines: [{ sku: 'T-PAY-1', quantity: 1, unitPriceCents: 700 }], amountCents: 700, currency: 'EUR' };
  return createEvent({ type: 'inventory.reserved', orderId, data }, { source: 'inventory', correlationId: `c-${orderId}` });
}

/** A row of the batch's charge-state read, as Postgres returns it. */
const chargeState = (orderId: string, paymentToken: string | null) => ({ order_id: orderId, cancelled: false, answered: false, payment_token: paymentToken });

describe('handleInventoryEvents (one batch, decided on the rows its reads returned)', () => {
  it('lets a reservation that overtook its order.placed wait on its own, and charges the rest of its batch', async () => {
    const [first, second, early] = [randomUUID(), randomUUID(), randomUUID()];
    const writes: ParameterizedQuery[] = [];
    const results = await handleInventoryEvents([reserved(first), reserved(early), reserved(second)], {
      tx: undefined as never, // the batch path reads only `read` and writes only through `atCommit`
      now: new Date(),
      log: silentLogger,
      read: [[], [chargeState(first, 'tok_visa'), chargeState(early, null), chargeState(second, 'tok_visa')]],
      atCommit: (query) => void writes.push(query),
    });

    // Thrown, the wait would roll the whole batch back and re-run each of its events alone.
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual([expect.objectContaining({ type: 'payment.authorized', orderId: first })]);
    expect(results[2]).toEqual([expect.objectContaining({ type: 'payment.authorized', orderId: second })]);
    expect(isNotReadyError((results[1] as EventFailure).failed)).toBe(true);
    expect(writes).toHaveLength(1);
    const inserted = JSON.stringify(writes[0]);
    expect(inserted).toContain(first);
    expect(inserted).toContain(second);
    expect(inserted).not.toContain(early);
  });
});
