import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { streamForType } from '@orderflow/contracts';
import { startPrivateNats } from '@orderflow/testkit';
import { createPubAckPublisher } from '../src/index.js';
import { readStream } from '../src/testing/index.js';
import { fixtureScope } from './fixture.js';

const { cleanups, fixture } = fixtureScope();
const body = new TextEncoder().encode('{}');

describe('PubAck publisher', () => {
  it('resolves with the stream and sequence, and marks a second publish of the same message id a duplicate', async () => {
    const f = await fixture();
    const p = createPubAckPublisher(f.nc, { timeoutMs: 2000 });
    cleanups.push(async () => p.close());
    const subject = `${f.ns}.inventory.rejected.${randomUUID()}`;
    const stream = streamForType('inventory.rejected', f.ns).name;

    const first = await p.publish(subject, body, 'm-1', { 'x-correlation-id': 'c-1' });
    const again = await p.publish(subject, body, 'm-1', {});
    const other = await p.publish(subject, body, 'm-2', {});

    expect(first).toEqual({ stream, seq: 1, duplicate: false });
    expect(again).toEqual({ stream, seq: 1, duplicate: true });
    expect(other).toEqual({ stream, seq: 2, duplicate: false });
    const stored = await readStream(f.jsm, stream);
    expect(stored).toHaveLength(2);
    expect(stored[0]!.headers['x-correlation-id']).toBe('c-1');
    expect(stored[0]!.headers['Nats-Msg-Id']).toBe('m-1');
  });

  it('answers many publishes in flight at once, each with its own sequence', async () => {
    const f = await fixture();
    const p = createPubAckPublisher(f.nc, { timeoutMs: 5000 });
    cleanups.push(async () => p.close());
    const acks = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => p.publish(`${f.ns}.inventory.rejected.${i}`, body, `m-${i}`, {})),
    );
    expect(new Set(acks.map((a) => a.seq)).size).toBe(1000);
    expect(acks.every((a) => !a.duplicate)).toBe(true);
  });

  it('rejects a publish that no stream takes (no responders)', async () => {
    const f = await fixture();
    const p = createPubAckPublisher(f.nc, { timeoutMs: 2000 });
    cleanups.push(async () => p.close());
    await expect(p.publish(`${f.ns}.nowhere.${randomUUID()}`, body, 'm-1', {})).rejects.toThrow(/no responders/);
  });

  it('rejects a publish JetStream refuses, with its description', async () => {
    const f = await fixture();
    const p = createPubAckPublisher(f.nc, { timeoutMs: 2000 });
    cleanups.push(async () => p.close());
    const subject = `${f.ns}.inventory.rejected.${randomUUID()}`;
    await expect(p.publish(subject, body, 'm-1', { 'Nats-Expected-Stream': 'SOME_OTHER_STREAM' })).rejects.toThrow(
      /JetStream refused the publish: .*stream/i,
    );
  });

  it('rejects a publish that gets no answer within the timeout', async () => {
    const f = await fixture();
    // A plain subscriber takes the subject (so it is not "no responders") but never answers.
    const silent = f.nc.subscribe(`${f.ns}.silent.>`);
    cleanups.push(async () => silent.unsubscribe());
    const p = createPubAckPublisher(f.nc, { timeoutMs: 200 });
    cleanups.push(async () => p.close());
    const started = Date.now();
    await expect(p.publish(`${f.ns}.silent.x`, body, 'm-1', {})).rejects.toThrow(/no PubAck within 200 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('rejects what is pending when closed', async () => {
    const f = await fixture();
    const silent = f.nc.subscribe(`${f.ns}.silent.>`);
    cleanups.push(async () => silent.unsubscribe());
    const p = createPubAckPublisher(f.nc, { timeoutMs: 10_000 });
    const pending = p.publish(`${f.ns}.silent.x`, body, 'm-1', {});
    p.close();
    await expect(pending).rejects.toThrow(/publisher closed/);
  });

  it('goes on answering after NATS restarts (its reply subscription comes back with the connection)', async () => {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.stop());
    const f = await fixture({ natsUrl: nats.url });
    const p = createPubAckPublisher(f.nc, { timeoutMs: 1000 });
    cleanups.push(async () => p.close());
    const subject = `${f.ns}.inventory.rejected.${randomUUID()}`;
    expect((await p.publish(subject, body, 'before', {})).seq).toBe(1);

    await nats.restart({ downMs: 300 });
    let ack;
    for (let i = 0; !ack && i < 50; i++) {
      ack = await p.publish(subject, body, 'after', {}).catch(() => undefined); // JetStream may take a moment to come back
      if (!ack) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ack).toEqual({ stream: streamForType('inventory.rejected', f.ns).name, seq: 2, duplicate: false });
  });
});
