import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { createEvent, exampleEvent, streamOf, type DomainEvent } from '@orderflow/contracts';
import { readEvents, waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { silentLogger } from '@orderflow/messaging';
import { createNotificationService, loadEnv, type NotificationSender } from '../src/service.js';
import { createOrderEventBatchHandler } from '../src/handlers/order-events.js';
import type { NotificationSchema } from '../src/db/schema.js';
import { cancelled, confirmed, recordingSender } from './support.js';

interface Dto {
  type: string;
  recipient: string;
  orderId: string;
  sentAt: string;
}

const sender = recordingSender();
let svc: TestService<NotificationSchema>;
beforeAll(async () => {
  svc = await startTestService(createNotificationService({ sender }), loadEnv);
});
afterAll(async () => {
  await svc?.close();
});

async function notificationsOf(orderId: string): Promise<Dto[]> {
  const res = await svc.request(`/notifications?orderId=${orderId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Dto[];
}

async function sentEventsOf(orderId: string) {
  return (await readEvents(svc.testNc, 'notification.sent', { namespace: svc.namespace })).filter((e) => e.orderId === orderId);
}

/**
 * Publishes `events` and waits until the consumer has handled (and acked) everything on its
 * stream. Waiting for a later order's notification is not enough: several orders are handled at
 * once (only one order's messages are kept in sequence).
 */
async function publishAndSettle(events: DomainEvent[], { burst = false, on = svc }: { burst?: boolean; on?: TestService<NotificationSchema> } = {}): Promise<void> {
  // A burst is one pipelined publish, so the consumer takes the events in batches.
  if (burst) await on.publisher.publish(events);
  else for (const e of events) await on.publisher.publish([e]);
  await settled(on);
}

async function settled(on: TestService<NotificationSchema>): Promise<void> {
  const jsm = await jetstreamManager(on.testNc);
  const stream = streamOf('order', on.namespace).name;
  await eventually(async () => {
    const info = await jsm.consumers.info(stream, 'notification-order-events');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  });
}

describe('notification service', () => {
  it('on order.confirmed stores one notification, sends it and emits notification.sent caused by the event', async () => {
    const e = confirmed();
    await svc.publisher.publish([e]);
    const sent = await waitForEvent(svc.testNc, 'notification.sent', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(sent.causationId).toBe(e.id);
    expect(sent.correlationId).toBe(e.correlationId);
    expect(sent.source).toBe('notification');
    expect(sent.data).toEqual({ notificationId: expect.any(String), kind: 'order.confirmed', recipient: e.data.customerEmail, channel: 'log' });

    const list = await notificationsOf(e.orderId);
    expect(list).toEqual([{ type: 'order.confirmed', recipient: e.data.customerEmail, orderId: e.orderId, sentAt: expect.any(String) }]);
    expect(sender.sent.filter((m) => m.subject.includes(e.orderId))).toEqual([
      {
        to: e.data.customerEmail,
        subject: `Order ${e.orderId} confirmed`,
        text: `Your order ${e.orderId} is confirmed: 42.00 EUR. Tracking number: ${e.data.trackingNumber}.`,
      },
    ]);
  });

  it('notifies once for the same event twice and for the same fact in a new event object', async () => {
    const e = confirmed();
    const sameFact = confirmed(e.orderId, e.data.customerEmail);
    expect(sameFact.id).not.toBe(e.id);
    await publishAndSettle([e, e, sameFact]);
    expect(await notificationsOf(e.orderId)).toHaveLength(1);
    expect(await sentEventsOf(e.orderId)).toHaveLength(1);
    expect(sender.sent.filter((m) => m.subject.includes(e.orderId))).toHaveLength(1);
  });

  it('sends two notifications for an order confirmed, then cancelled (once each, even when repeated)', async () => {
    const orderId = randomUUID();
    await publishAndSettle([confirmed(orderId), cancelled(orderId), cancelled(orderId)]);
    const list = await notificationsOf(orderId);
    expect(list.map((n) => n.type)).toEqual(['order.confirmed', 'order.cancelled']);
    const events = await sentEventsOf(orderId);
    expect(events.map((x) => x.data.kind).sort()).toEqual(['order.cancelled', 'order.confirmed']);
    expect(sender.sent.filter((m) => m.subject.includes(orderId)).map((m) => m.subject)).toEqual([
      `Order ${orderId} confirmed`,
      `Order ${orderId} cancelled`,
    ]);
  });

  it('drops an order.confirmed that arrives after its cancellation was sent', async () => {
    const orderId = randomUUID();
    await publishAndSettle([cancelled(orderId, 'SHIPPING_UNAVAILABLE'), confirmed(orderId)]);
    expect((await notificationsOf(orderId)).map((n) => n.type)).toEqual(['order.cancelled']);
    expect((await sentEventsOf(orderId)).map((x) => x.data.kind)).toEqual(['order.cancelled']);
    expect(sender.sent.find((m) => m.subject.includes(orderId))?.text).toContain('we cannot ship to your address');
  });

  it('tells a burst of orders once each, a batch at a time as one by one: repeated facts, a stale confirmation', async () => {
    const orders = Array.from({ length: 12 }, () => randomUUID());
    const alreadyCancelled = randomUUID();
    await publishAndSettle([cancelled(alreadyCancelled)]);
    const first = orders.map((id) => confirmed(id));
    const repeated: string = orders[3]!; // confirmed again, as a new event
    const cancelledToo: string = orders[5]!;
    await publishAndSettle(
      [...first, confirmed(alreadyCancelled), confirmed(repeated), cancelled(cancelledToo), first[7]!],
      { burst: true },
    );
    for (const orderId of orders) {
      const kinds = orderId === cancelledToo ? ['order.confirmed', 'order.cancelled'] : ['order.confirmed'];
      expect((await notificationsOf(orderId)).map((n) => n.type)).toEqual(kinds);
      expect((await sentEventsOf(orderId)).map((x) => x.data.kind).sort()).toEqual([...kinds].sort());
      expect(sender.sent.filter((m) => m.subject.includes(orderId))).toHaveLength(kinds.length);
    }
    expect((await notificationsOf(alreadyCancelled)).map((n) => n.type)).toEqual(['order.cancelled']);
    expect(sender.sent.filter((m) => m.subject.includes(alreadyCancelled))).toHaveLength(1);
  });

  it('batch handler: claims and sends a batch at once; takes back only the claim of a message the sender refused and reports that event failed', async () => {
    const events = Array.from({ length: 5 }, () => confirmed());
    const refused = events[2]!;
    const stale = randomUUID();
    await publishAndSettle([cancelled(stale)]);
    const mails: string[] = [];
    const picky: NotificationSender = {
      channel: 'log',
      async send(message) {
        if (message.to === refused.data.customerEmail) throw new Error('550 mailbox unavailable');
        mails.push(message.to);
      },
    };
    const results = await svc.deps.db.transaction((tx) =>
      createOrderEventBatchHandler(picky)([...events, confirmed(stale)], { tx, now: new Date(), log: silentLogger, read: [], atCommit: () => {} }),
    );
    expect(results).toHaveLength(6);
    results.forEach((result, k) => {
      if (k === 2) expect(result).toEqual({ failed: expect.objectContaining({ message: '550 mailbox unavailable' }) });
      else if (k === 5) expect(result).toEqual([]); // stale: the cancellation was sent
      else expect(result).toEqual([expect.objectContaining({ type: 'notification.sent', orderId: events[k]!.orderId })]);
    });
    expect(mails.sort()).toEqual(events.filter((e) => e !== refused).map((e) => e.data.customerEmail).sort());
    for (const e of events) expect(await notificationsOf(e.orderId)).toHaveLength(e === refused ? 0 : 1);
  });

  it('batch handler: sends a large batch eight messages at a time (the SMTP sender opens a connection per message)', async () => {
    let inFlight = 0;
    let most = 0;
    let sent = 0;
    const slow: NotificationSender = {
      channel: 'log',
      async send() {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        sent += 1;
      },
    };
    const events = Array.from({ length: 30 }, () => confirmed());
    await svc.deps.db.transaction((tx) => createOrderEventBatchHandler(slow)(events, { tx, now: new Date(), log: silentLogger, read: [], atCommit: () => {} }));
    expect(sent).toBe(30);
    expect(most).toBe(8);
  });

  it('ignores order.placed', async () => {
    const placed = createEvent(
      { type: 'order.placed', orderId: randomUUID(), data: exampleEvent('order.placed').data },
      { source: 'order', correlationId: 'corr-placed' },
    );
    await publishAndSettle([placed]);
    expect(await notificationsOf(placed.orderId)).toEqual([]);
    expect(await sentEventsOf(placed.orderId)).toEqual([]);
  });

  it('lists the latest notifications without orderId, newest first', async () => {
    const e = confirmed();
    await publishAndSettle([e]);
    const res = await svc.request('/notifications');
    expect(res.status).toBe(200);
    const list = (await res.json()) as Dto[];
    expect(list.length).toBeGreaterThan(1);
    expect(list.length).toBeLessThanOrEqual(100);
    expect(list.map((n) => n.orderId)).toContain(e.orderId);
    const times = list.map((n) => Date.parse(n.sentAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('answers an empty list for an order it never heard of', async () => {
    expect(await notificationsOf(randomUUID())).toEqual([]);
  });

  it('answers 400 naming the field for a malformed orderId', async () => {
    const res = await svc.request('/notifications?orderId=not-a-uuid');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string }[] };
    expect(body.error).toBe('VALIDATION_FAILED');
    expect(body.issues.map((i) => i.path)).toContain('orderId');
  });
});

describe('notification service with a failing sender', () => {
  const flaky = recordingSender(2);
  let flakySvc: TestService<NotificationSchema>;
  beforeAll(async () => {
    flakySvc = await startTestService(createNotificationService({ sender: flaky }), loadEnv);
  });
  afterAll(async () => {
    await flakySvc?.close();
  });

  it('rolls back and retries until the send succeeds, then stores and emits exactly once', async () => {
    const e = confirmed();
    await flakySvc.publisher.publish([e]);
    const sent = await waitForEvent(flakySvc.testNc, 'notification.sent', (x) => x.orderId === e.orderId, {
      namespace: flakySvc.namespace,
      timeoutMs: 20_000,
    });
    expect(sent.causationId).toBe(e.id);
    expect(flaky.attempts).toBe(3);
    expect(flaky.sent).toHaveLength(1);
    // Nothing of the failed attempts survived their rollback.
    const list = await eventually(async () => {
      const l = (await (await flakySvc.request(`/notifications?orderId=${e.orderId}`)).json()) as Dto[];
      return l.length > 0 ? l : undefined;
    });
    expect(list).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    const events = (await readEvents(flakySvc.testNc, 'notification.sent', { namespace: flakySvc.namespace })).filter(
      (x) => x.orderId === e.orderId,
    );
    expect(events).toHaveLength(1);
    expect(flaky.attempts).toBe(3);
  });
});

describe('notification service with a sender that refuses one recipient once', () => {
  let refusals = 0;
  const refusedTo = 'refused-once@example.com';
  const mails: string[] = [];
  const picky: NotificationSender = {
    channel: 'log',
    async send(message) {
      if (message.to === refusedTo && refusals === 0) {
        refusals += 1;
        throw new Error('451 try again later');
      }
      mails.push(message.to);
    },
  };
  let pickySvc: TestService<NotificationSchema>;
  beforeAll(async () => {
    pickySvc = await startTestService(createNotificationService({ sender: picky }), loadEnv);
  });
  afterAll(async () => {
    await pickySvc?.close();
  });

  it('sends every other message of the burst once, and the refused one once when retried', async () => {
    const events = Array.from({ length: 15 }, (_, k) => (k === 6 ? confirmed(randomUUID(), refusedTo) : confirmed()));
    await publishAndSettle(events, { burst: true, on: pickySvc });
    await eventually(async () => mails.includes(refusedTo));
    await settled(pickySvc);
    expect(refusals).toBe(1);
    expect(mails.sort()).toEqual(events.map((e) => e.data.customerEmail).sort()); // each exactly once
    const sent = await readEvents(pickySvc.testNc, 'notification.sent', { namespace: pickySvc.namespace });
    expect(sent.map((e) => e.orderId).sort()).toEqual(events.map((e) => e.orderId).sort());
  });
});
