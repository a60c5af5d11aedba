import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, type PaymentAuthorized } from '@orderflow/contracts';
import { silentLogger, type ParameterizedQuery } from '@orderflow/messaging';
import { handlePaymentEvents } from '../src/handlers/payment-events.js';

function authorized(orderId: string): PaymentAuthorized {
  return createEvent(
    { type: 'payment.authorized', orderId, data: { paymentId: randomUUID(), amountCents: 5000, currency: 'EUR' } },
    { source: 'payment', correlationId: `c-${orderId}` },
  );
}

/** A row of the batch's dispatch-state read, as Postgres returns it (no country: order.placed not seen). */
const dispatchState = (orderId: string, country: string | null) => ({ order_id: orderId, cancelled: false, country, decided: false });

describe('handlePaymentEvents (one batch, decided on the rows its reads returned)', () => {
  it('keeps a payment that overtook its order.placed (acked, no retry), and schedules the rest of its batch', async () => {
    const [first, second, early] = [randomUUID(), randomUUID(), randomUUID()];
    const writes: ParameterizedQuery[] = [];
    const tooEarly = authorized(early);
    const results = await handlePaymentEvents([authorized(first), tooEarly, authorized(second)], {
      tx: undefined as never, // the batch path reads only `read` and writes only through `atCommit`
      now: new Date(),
      log: silentLogger,
      read: [[], [dispatchState(first, 'GB'), dispatchState(early, null), dispatchState(second, 'FR')]],
      atCommit: (query) => void writes.push(query),
    });

    // A failure would have it nak'd and redelivered after a delay, and thrown it would roll the
    // whole batch back: the early payment is a success that emits nothing yet.
    expect(results).toEqual([
      [expect.objectContaining({ type: 'shipment.scheduled', orderId: first })],
      [],
      [expect.objectContaining({ type: 'shipment.scheduled', orderId: second })],
    ]);
    expect(writes).toHaveLength(3);
    const [shipments, outcomes, waiting] = writes as [ParameterizedQuery, ParameterizedQuery, ParameterizedQuery];
    expect(shipments.sql).toContain('insert into "shipments"');
    expect(outcomes.sql).toContain('update "shipping_orders"');
    for (const w of [shipments, outcomes]) {
      expect(w.params.flat()).toEqual(expect.arrayContaining([first, second]));
      expect(w.params.flat()).not.toContain(early);
    }
    expect(waiting.sql).toContain('insert into "waiting_payments"');
    expect(waiting.params.flat()).toEqual(expect.arrayContaining([early, tooEarly.id]));
    expect(waiting.params.flat()).not.toContain(first);
  });
});
