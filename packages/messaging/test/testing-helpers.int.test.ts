import { afterEach, describe, expect, it } from 'vitest';
import { createDirectPublisher } from '../src/index.js';
import { readEvents, sampleOrderPlaced, waitForEvent } from '../src/testing/index.js';
import { createFixture, type Fixture } from './fixture.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('messaging/testing helpers', () => {
  it('waitForEvent finds an event published before or after the call, by predicate', async () => {
    f = await createFixture();
    const publisher = createDirectPublisher(f.js, { namespace: f.ns });
    const before = sampleOrderPlaced();
    const after = sampleOrderPlaced();
    await publisher.publish([before]);
    const found = await waitForEvent(f.nc, 'order.placed', (e) => e.id === before.id, { namespace: f.ns });
    expect(found.id).toBe(before.id);
    const waiting = waitForEvent(f.nc, 'order.placed', (e) => e.orderId === after.orderId, { namespace: f.ns });
    await publisher.publish([after]);
    expect((await waiting).id).toBe(after.id);
    expect((await readEvents(f.nc, 'order.placed', { namespace: f.ns })).map((e) => e.id)).toEqual([before.id, after.id]);
  });

  it('waitForEvent rejects after its timeout when nothing matches', async () => {
    f = await createFixture();
    await expect(waitForEvent(f.nc, 'order.placed', () => false, { namespace: f.ns, timeoutMs: 300 })).rejects.toThrow(
      /no order.placed/,
    );
  });
});
