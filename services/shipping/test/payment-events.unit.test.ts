import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, type PaymentAuthorized } from '@orderflow/contracts';
import { isNotReadyError, silentLogger, type EventFailure, type ParameterizedQuery } from '@orderflow/messaging';
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
  it('lets a payment that overtook its order.placed wait on its own, and schedules the rest of its batch', async () => {
    const [first, second, early] = [randomUUID(), randomUUID(), randomUUID()];
    const writes: ParameterizedQuery[] = [];
    const results = await handlePaymentEvents([authorized(first), authorized(early), authorized(second)], {
      tx: undefined as never, // the batch path reads only `read` and writes only through `atCommit`
      now: new Date(),
      log: silentLogger,
      read: [[], [dispatchState(first, 'GB'), dispatchState(early, null), dispatchState(second, 'FR')]],
      atCommit: (query) => void writes.push(query),
    });

    // Thrown, the wait would roll the whole batch back and re-run each of its events alone.
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual([expect.objectContaining({ type: 'shipment.scheduled', orderId: first })]);
    expect(results[2]).toEqual([expect.objectContaining({ type: 'shipment.scheduled', orderId: second })]);
    expect(isNotReadyError((results[1] as EventFailure).failed)).toBe(true);
    const written = JSON.stringify(writes);
    expect(written).toContain(first);
    expect(written).toContain(second);
    expect(written).not.toContain(early);
  });
});
