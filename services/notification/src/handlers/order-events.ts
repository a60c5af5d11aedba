import type { EventType } from '@orderflow/contracts';
import type { AnyEventDraft } from '@orderflow/contracts';
import { eventFailed, type BatchEventHandler, type EventFailure, type EventHandler } from '@orderflow/messaging';
import type { NotificationSchema } from '../db/schema.js';
import { claimNotification, claimNotifications, hasNotification, ordersNotifiedOf, unclaimNotifications, type ClaimedNotification } from '../db/repository.js';
import { renderNotification, type OutgoingMessage } from '../domain/message.js';
import { decideNotification } from '../domain/notification.js';
import type { NotificationSender } from '../senders/sender.js';

/** The event types this handler acts on; the consumer acks the stream's others without a transaction. */
export const HANDLED_ORDER_EVENTS = ['order.confirmed', 'order.cancelled'] as const satisfies readonly EventType[];

/**
 * Tells the customer about `order.confirmed` and `order.cancelled`, once per order and final
 * state, then emits `notification.sent`. Every other order event is ignored.
 *
 * Exactly once, as far as a database can make it: the notification row is claimed with
 * `insert ... on conflict do nothing returning` inside the runner's transaction, and only the
 * delivery whose insert returned the row sends and emits. A duplicate (the inbox drops exact
 * redeliveries; a re-published fact has a new event id) finds the row and does nothing.
 *
 * Sending happens inside that transaction, before the commit: a failed send throws, the row
 * rolls back with everything else, and the runner retries the event with backoff. Hazard
 * (at-least-once delivery to the customer): if the process dies, or the commit fails, after the
 * sender succeeded and before the commit, the claim is rolled back and the redelivery sends the
 * message again. Mail cannot join a database transaction, so one duplicate message in that
 * window is the price of never losing one. One event's failure must never roll back, and so
 * re-send, another event's message already sent in the same transaction: the batch handler
 * ({@link createOrderEventBatchHandler}) takes back the claim of a message it could not send and
 * reports only that event failed.
 */
export function createOrderEventHandler(sender: NotificationSender): EventHandler<NotificationSchema> {
  return async (event, { tx, now, log }): Promise<AnyEventDraft[]> => {
    if (event.type !== 'order.confirmed' && event.type !== 'order.cancelled') return [];
    const cancellationSent = event.type === 'order.confirmed' && (await hasNotification(tx, event.orderId, 'order.cancelled'));
    const decision = decideNotification(event, { cancellationSent });
    if (decision.kind === 'ignore') {
      if (decision.reason === 'STALE_CONFIRMATION') log.info({ orderId: event.orderId }, 'order.confirmed after its cancellation was sent; not notifying');
      return [];
    }
    const message = renderNotification(decision.input);
    const claimed = await claimNotification(tx, {
      orderId: event.orderId,
      kind: decision.input.kind,
      recipient: message.to,
      channel: sender.channel,
      subject: message.subject,
      body: message.text,
      sentAt: now,
    });
    if (!claimed) return []; // this order was already told about this state
    await sender.send(message);
    return [
      {
        type: 'notification.sent',
        orderId: event.orderId,
        data: { notificationId: claimed.id, kind: claimed.kind, recipient: claimed.recipient, channel: claimed.channel },
      },
    ];
  };
}

/** Messages a batch sends at once. */
const SENDS_AT_ONCE = 8;

/**
 * The set-based form of {@link createOrderEventHandler}, for a transaction of several events: one
 * read (which confirmed orders were already told of their cancellation), one insert claiming every
 * message, the messages sent (eight at a time), and for those the sender refused, one delete
 * taking their claims back; those events are reported failed (`eventFailed`) and retried alone,
 * while the others commit, so no message that went out is rolled back and sent again.
 *
 * The single handler's hazard holds per transaction: if the process dies, or the commit fails,
 * after the messages went out and before the commit, the redelivery sends the batch's messages
 * again (at most a batch of them, where one event per transaction risked one).
 *
 * A batch with two events of one order throws before anything is claimed or sent, and the runner
 * runs its events one by one through the single-event handler: whether a confirmation is stale
 * depends on what the same batch did before it, which the single handler sees in the database.
 */
export function createOrderEventBatchHandler(sender: NotificationSender): BatchEventHandler<NotificationSchema> {
  return async (events, { tx, now, log }) => {
    if (new Set(events.map((e) => e.orderId)).size !== events.length) throw new Error('two events of one order in a batch; handling them one by one');
    const confirmedOrders = events.filter((e) => e.type === 'order.confirmed').map((e) => e.orderId);
    const cancellationsSent = await ordersNotifiedOf(tx, confirmedOrders, 'order.cancelled');
    const wanted = new Map<string, OutgoingMessage>();
    for (const event of events) {
      const decision = decideNotification(event, { cancellationSent: cancellationsSent.has(event.orderId) });
      if (decision.kind === 'ignore') {
        if (decision.reason === 'STALE_CONFIRMATION') log.info({ orderId: event.orderId }, 'order.confirmed after its cancellation was sent; not notifying');
        continue;
      }
      wanted.set(event.id, renderNotification(decision.input));
    }
    const claims = await claimNotifications(
      tx,
      events.flatMap((event) => {
        const message = wanted.get(event.id);
        if (!message) return [];
        const kind = event.type as 'order.confirmed' | 'order.cancelled';
        return [{ orderId: event.orderId, kind, recipient: message.to, channel: sender.channel, subject: message.subject, body: message.text, sentAt: now }];
      }),
    );
    const claimOf = new Map(claims.map((c) => [c.orderId, c]));
    const outcomes: PromiseSettledResult<ClaimedNotification | undefined>[] = [];
    // At most SENDS_AT_ONCE messages in flight: the SMTP sender opens a connection per message.
    for (let from = 0; from < events.length; from += SENDS_AT_ONCE) {
      const chunk = events.slice(from, from + SENDS_AT_ONCE);
      outcomes.push(
        ...(await Promise.allSettled(
          chunk.map(async (event) => {
            const claimed = wanted.has(event.id) ? claimOf.get(event.orderId) : undefined;
            if (!claimed) return undefined; // ignored, or this order was already told about this state
            await sender.send(wanted.get(event.id)!);
            return claimed;
          }),
        )),
      );
    }
    const unsent = events.flatMap((event, k) => (outcomes[k]!.status === 'rejected' ? [claimOf.get(event.orderId)!.id] : []));
    await unclaimNotifications(tx, unsent);
    return outcomes.map((outcome): readonly AnyEventDraft[] | EventFailure => {
      if (outcome.status === 'rejected') return eventFailed(outcome.reason);
      const claimed = outcome.value;
      if (!claimed) return [];
      return [
        {
          type: 'notification.sent',
          orderId: claimed.orderId,
          data: { notificationId: claimed.id, kind: claimed.kind, recipient: claimed.recipient, channel: claimed.channel },
        },
      ];
    });
  };
}
