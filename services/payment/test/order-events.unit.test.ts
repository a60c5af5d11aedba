import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, exampleEvent, type OrderPlaced } from '@orderflow/contracts';
import { silentLogger, type ParameterizedQuery } from '@orderflow/messaging';
import { handleOrderEvents } from '../src/handlers/order-events.js';

function placed(orderId: string, paymentToken = 'tok_visa'): OrderPlaced {
  const data = { ...exampleEvent('order.placed').data, paymentToken };
  return createEvent({ type: 'order.placed', orderId, data }, { source: 'order', correlationId: `c-${orderId}` });
}

/** A row of the batch's placed-state read, as Postgres returns it. */
function placedState(orderId: string, waiting?: { eventId: string; amountCents: number }, flags = { cancelled: false, answered: false }) {
  return {
    order_id: orderId,
    ...flags,
    waiting_event_id: waiting?.eventId ?? null,
    waiting_amount_cents: waiting?.amountCents ?? null,
    waiting_currency: waiting === undefined ? null : 'EUR',
  };
}

describe('handleOrderEvents (one batch of order.placed, decided on the rows its reads returned)', () => {
  it('charges the reservations that waited for their token, naming them as the cause, and only remembers the others', async () => {
    const [plain, waited, declined, cancelled] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [waitedReservation, declinedReservation, cancelledReservation] = [randomUUID(), randomUUID(), randomUUID()];
    const writes: ParameterizedQuery[] = [];
    const results = await handleOrderEvents([placed(plain), placed(waited), placed(declined, 'tok_declined'), placed(cancelled)], {
      tx: undefined as never, // the batch path reads only `read` and writes only through `atCommit`
      now: new Date(),
      log: silentLogger,
      read: [
        [],
        [
          placedState(plain),
          placedState(waited, { eventId: waitedReservation, amountCents: 2500 }),
          placedState(declined, { eventId: declinedReservation, amountCents: 900 }),
          placedState(cancelled, { eventId: cancelledReservation, amountCents: 700 }, { cancelled: true, answered: false }),
        ],
      ],
      atCommit: (query) => void writes.push(query),
    });

    expect(results).toEqual([
      [],
      [{ type: 'payment.authorized', orderId: waited, causationId: waitedReservation, data: expect.objectContaining({ amountCents: 2500, currency: 'EUR' }) }],
      [{ type: 'payment.declined', orderId: declined, causationId: declinedReservation, data: { reason: 'PAYMENT_DECLINED', amountCents: 900, currency: 'EUR' } }],
      [],
    ]);
    const [tokens, payments, forgotten] = writes as [ParameterizedQuery, ParameterizedQuery, ParameterizedQuery];
    expect(writes).toHaveLength(3);
    expect(tokens.sql).toContain('insert into "payment_orders"');
    expect(tokens.params.flat()).toEqual(expect.arrayContaining([plain, waited, declined, cancelled]));
    expect(payments.sql).toContain('insert into "payments"');
    expect(payments.params.flat()).toEqual(expect.arrayContaining([waited, declined, 'AUTHORIZED', 'DECLINED']));
    expect(payments.params.flat()).not.toContain(cancelled);
    expect(forgotten.sql).toContain('delete from "waiting_reservations"');
    expect(forgotten.params.flat()).toEqual([waited, declined, cancelled]);
  });
});
