import type { EventType } from '@orderflow/contracts';
import type { EventHandler } from '@orderflow/messaging';
import type { OrderSchema } from '../db/schema.js';
import { applyEvent } from './apply-event.js';

/** The types this consumer applies (every other type of the stream is ignored). */
export const NOTIFICATION_EVENTS = ['notification.sent'] as const satisfies readonly EventType[];

/** `order-notification-events`: notification.sent goes on the order's timeline (once per notified event). */
export const handleNotificationEvent: EventHandler<OrderSchema> = async (event, ctx) => {
  switch (event.type) {
    case 'notification.sent':
      return applyEvent(event, ctx);
    default:
      return [];
  }
};
