import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, type InventoryReserved } from '@orderflow/contracts';
import { silentLogger, type ParameterizedQuery } from '@orderflow/messaging';
import { handleInventoryEvents } from '../src/handlers/inventory-events.js';

function reserved(orderId: string): InventoryReserved {
  const data = { lines: [{ sku: 'T-PAY-1', quantity: 1, unitPriceCents: 700 }], amountCents: 700, currency: 'EUR' };
  return createEvent({ type: 'inventory.reserved', orderId, data }, { source: 'inventory', correlationId: `c-${orderId}` });
}

/** A row of the batch's charge-state read, as Postgres returns it. */
const chargeState = (orderId: string, paymentToken: string | null) => ({ order_id: orderId, cancelled: false, answered: false, payment_token: paymentToken });

describe('handleInventoryEvents (one batch, decided on the rows its reads returned)', () => {
  it('keeps a reservation that overtook its order.placed (acked, no retry), and charges the rest of its batch', async () => {
    const [first, second, early] = [randomUUID(), randomUUID(), randomUUID()];
    const writes: ParameterizedQuery[] = [];
    const tooEarly = reserved(early);
    const results = await handleInventoryEvents([reserved(first), tooEarly, reserved(second)], {
      tx: undefined as never, // the batch path reads only `read` and writes only through `atCommit`
      now: new Date(),
      log: silentLogger,
      read: [[], [chargeState(first, 'tok_visa'), chargeState(early, null), chargeState(second, 'tok_visa')]],
      atCommit: (query) => void writes.push(query),
    });

    // A failure would have it nak'd and redelivered after a delay, and thrown it would roll the
    // whole batch back: the early reservation is a success that emits nothing yet.
    expect(results).toEqual([
      [expect.objectContaining({ type: 'payment.authorized', orderId: first })],
      [],
      [expect.objectContaining({ type: 'payment.authorized', orderId: second })],
    ]);
    expect(writes).toHaveLength(2);
    const [payments, waiting] = writes as [ParameterizedQuery, ParameterizedQuery];
    expect(payments.sql).toContain('insert into "payments"');
    expect(payments.params.flat()).toEqual(expect.arrayContaining([first, second]));
    expect(payments.params.flat()).not.toContain(early);
    expect(waiting.sql).toContain('insert into "waiting_reservations"');
    expect(waiting.params.flat()).toEqual(expect.arrayContaining([early, tooEarly.id]));
    expect(waiting.params.flat()).not.toContain(first);
  });
});
