import { describe, expect, it } from 'vitest';
import { createEvent, decodeEvent, exampleEvent, latestVersion } from '@orderflow/contracts';

const orderId = '2b1f6a64-9a2d-4e0c-8a51-0c5d2b3a7e10';
const now = new Date('2025-03-04T05:06:07.890Z');
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createEvent', () => {
  it('fills in id, occurredAt, version and source around the draft', () => {
    const data = exampleEvent('order.placed').data;
    const event = createEvent({ type: 'order.placed', orderId, data }, { source: 'order', correlationId: 'req-1', now });
    expect(event).toEqual({
      id: expect.stringMatching(uuid),
      type: 'order.placed',
      version: latestVersion('order.placed'),
      occurredAt: '2025-03-04T05:06:07.890Z',
      source: 'order',
      correlationId: 'req-1',
      causationId: null,
      orderId,
      data,
    });
    // What a producer builds, a consumer reads.
    expect(decodeEvent(JSON.stringify(event))).toEqual(event);
  });

  it('gives every event a fresh id unless the draft pins one', () => {
    const draft = { type: 'order.placed', orderId, data: exampleEvent('order.placed').data } as const;
    const a = createEvent(draft, { source: 'order', correlationId: 'req-1' });
    const b = createEvent(draft, { source: 'order', correlationId: 'req-1' });
    expect(a.id).not.toBe(b.id);
    const pinned = createEvent({ ...draft, id: 'e5a0c3f2-2f4a-4c55-9d1e-3b7a0f6c1d22', version: 1 }, { source: 'order', correlationId: 'req-1' });
    expect(pinned.id).toBe('e5a0c3f2-2f4a-4c55-9d1e-3b7a0f6c1d22');
    expect(pinned.version).toBe(1);
  });

  it('takes correlationId and causationId from the cause', () => {
    const cause = exampleEvent('order.placed', { correlationId: 'req-from-http' });
    const event = createEvent(
      { type: 'inventory.rejected', orderId: cause.orderId, data: { reason: 'OUT_OF_STOCK', skus: ['SKU-1'] } },
      // The cause wins over an origin correlationId: the whole flow keeps the first one.
      { source: 'inventory', cause, correlationId: 'ignored', now },
    );
    expect(event.correlationId).toBe('req-from-http');
    expect(event.causationId).toBe(cause.id);
    expect(event.source).toBe('inventory');
  });

  it("takes the draft's causationId over the cause's (an event the service kept until now), and the cause's correlationId", () => {
    const cause = exampleEvent('order.placed', { correlationId: 'req-from-http' });
    const kept = exampleEvent('inventory.reserved', { correlationId: 'req-from-http' });
    const event = createEvent(
      { type: 'payment.declined', orderId: cause.orderId, causationId: kept.id, data: { reason: 'PAYMENT_DECLINED', amountCents: 100, currency: 'EUR' } },
      { source: 'payment', cause, now },
    );
    expect(event.causationId).toBe(kept.id);
    expect(event.correlationId).toBe('req-from-http');
  });

  it('uses the origin correlationId without a cause, with a null causationId', () => {
    const event = createEvent(
      { type: 'order.cancelled', orderId, data: exampleEvent('order.cancelled').data },
      { source: 'order', correlationId: 'req-cancel' },
    );
    expect(event.correlationId).toBe('req-cancel');
    expect(event.causationId).toBeNull();
  });

  it('throws with neither a cause nor a correlationId', () => {
    expect(() => createEvent({ type: 'order.cancelled', orderId, data: exampleEvent('order.cancelled').data }, { source: 'order' })).toThrow(
      /no correlationId and no cause/,
    );
    expect(() =>
      createEvent({ type: 'order.cancelled', orderId, data: exampleEvent('order.cancelled').data }, { source: 'order', correlationId: '' }),
    ).toThrow(/no correlationId/);
  });
});
