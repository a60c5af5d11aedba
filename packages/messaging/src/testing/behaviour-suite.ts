import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { createEvent, type DomainEvent, type EventType, type Namespace, type OrderPlaced } from '@orderflow/contracts';
import type { EventHandler } from '../consumer-runner.js';
import { PermanentError } from '../errors.js';
import type { EventPublisher } from '../publisher.js';
import { listDeadLetters } from '../dead-letters.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { readEvents } from './streams.js';
import { eventually } from '@orderflow/testkit';

/** What one implementation under test provides. Each call of the factory gets a fresh namespace. */
export interface MessagingHarness {
  readonly nc: NatsConnection;
  readonly namespace: Namespace;
  readonly publisher: EventPublisher;
  /** Starts a consumer of `type` running `handler` (and whatever publishes the events it returns). */
  startConsumer(options: { name: string; type: EventType; handler: EventHandler }): Promise<{ stop(): Promise<void> }>;
  /** Releases everything the harness created. */
  close(): Promise<void>;
}

/** A valid `order.placed` for a new order, as the order service would emit it. */
export function sampleOrderPlaced(overrides: { orderId?: string; correlationId?: string } = {}): OrderPlaced {
  return createEvent(
    {
      type: 'order.placed',
      orderId: overrides.orderId ?? randomUUID(),
      data: {
        customerId: 'c-1',
        customerEmail: 'c1@example.com',
        items: [{ sku: 'SKU-1', quantity: 1 }],
        shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
        paymentToken: 'tok_visa',
      },
    },
    { source: 'order', correlationId: overrides.correlationId ?? `corr-${randomUUID()}` },
  );
}

function counter() {
  const calls = new Map<string, number>();
  return {
    calls,
    add(id: string) {
      calls.set(id, (calls.get(id) ?? 0) + 1);
    },
  };
}

/**
 * The behaviour every publisher + consumer implementation must show: each event handled exactly
 * once despite duplicates, caused events published with correlation and causation, transient
 * failures retried, permanent failures dead-lettered without blocking the next message.
 */
export function describeMessagingBehaviour(name: string, createHarness: () => Promise<MessagingHarness>): void {
  describe(`messaging behaviour: ${name}`, () => {
    async function withHarness(fn: (h: MessagingHarness) => Promise<void>): Promise<void> {
      const h = await createHarness();
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    }

    it('handles every published event exactly once', () =>
      withHarness(async (h) => {
        const seen = counter();
        const c = await h.startConsumer({
          name: 'suite-once',
          type: 'order.placed',
          handler: async (e) => {
            seen.add(e.id);
            return [];
          },
        });
        const events = Array.from({ length: 40 }, () => sampleOrderPlaced());
        await h.publisher.publish(events);
        await eventually(() => seen.calls.size === events.length, { timeoutMs: 15_000 });
        await new Promise((r) => setTimeout(r, 300));
        expect([...seen.calls.values()].every((n) => n === 1)).toBe(true);
        await c.stop();
      }));

    it('handles an event published twice only once', () =>
      withHarness(async (h) => {
        const seen = counter();
        const c = await h.startConsumer({
          name: 'suite-dup',
          type: 'order.placed',
          handler: async (e) => {
            seen.add(e.id);
            return [];
          },
        });
        const e = sampleOrderPlaced();
        const after = sampleOrderPlaced();
        await h.publisher.publish([e]);
        await h.publisher.publish([e]);
        await h.publisher.publish([after]);
        await eventually(() => seen.calls.has(after.id), { timeoutMs: 15_000 });
        await new Promise((r) => setTimeout(r, 300));
        expect(seen.calls.get(e.id)).toBe(1);
        await c.stop();
      }));

    it('publishes the events a handler returns, with correlation and causation', () =>
      withHarness(async (h) => {
        const c = await h.startConsumer({
          name: 'suite-emit',
          type: 'order.placed',
          handler: async (e) => [
            { type: 'inventory.rejected', orderId: e.orderId, data: { reason: 'UNKNOWN_SKU', skus: ['SKU-1'] } },
          ],
        });
        const e = sampleOrderPlaced();
        await h.publisher.publish([e]);
        const out = await eventually(
          async () => (await readEvents(h.nc, 'inventory.rejected', { namespace: h.namespace })).find((x) => x.orderId === e.orderId),
          { timeoutMs: 15_000 },
        );
        expect(out.correlationId).toBe(e.correlationId);
        expect(out.causationId).toBe(e.id);
        await c.stop();
      }));

    it('retries a transient failure until the handler succeeds, then handles it once', () =>
      withHarness(async (h) => {
        let attempts = 0;
        const done: DomainEvent[] = [];
        const c = await h.startConsumer({
          name: 'suite-retry',
          type: 'order.placed',
          handler: async (e) => {
            attempts += 1;
            if (attempts < 3) throw new Error('transient');
            done.push(e);
            return [];
          },
        });
        await h.publisher.publish([sampleOrderPlaced()]);
        await eventually(() => done.length === 1, { timeoutMs: 15_000 });
        expect(attempts).toBe(3);
        await c.stop();
      }));

    it('dead-letters a permanent failure and goes on with the next message', () =>
      withHarness(async (h) => {
        const bad = sampleOrderPlaced();
        const good = sampleOrderPlaced();
        const handled: string[] = [];
        const c = await h.startConsumer({
          name: 'suite-poison',
          type: 'order.placed',
          handler: async (e) => {
            if (e.id === bad.id) throw new PermanentError('cannot ever handle this');
            handled.push(e.id);
            return [];
          },
        });
        await h.publisher.publish([bad]);
        await h.publisher.publish([good]);
        await eventually(() => handled.includes(good.id), { timeoutMs: 15_000 });
        const jsm = await jetstreamManager(h.nc);
        const dead = await eventually(
          async () => (await listDeadLetters(jsm, { namespace: h.namespace, consumer: 'suite-poison' }))[0],
          { timeoutMs: 15_000 },
        );
        expect(dead.reason).toBe('permanent');
        expect(dead.error).toContain('cannot ever handle this');
        expect((JSON.parse(new TextDecoder().decode(dead.data)) as { id: string }).id).toBe(bad.id);
        await c.stop();
      }));
  });
}
