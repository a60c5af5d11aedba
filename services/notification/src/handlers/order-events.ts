import type { EventType } from '@orderflow/contracts';
import type { AnyEventDraft } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { NotificationSchema } from '../db/schema.js';
import { claimNotification, hasNotification } from '../db/repository.js';
import { renderNotification } from '../domain/message.js';
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
 * window is the price of never losing one. The consumer runs one event per transaction
 * (`batchSize: 1` in service.ts) so that one event's failure never rolls back, and re-sends,
 * another event's message that was already sent in the same batch.
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
