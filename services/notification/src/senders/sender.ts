import type { OutgoingMessage } from '../domain/message.js';

/** How a message reaches the customer; reported as `channel` in `notification.sent`. */
export type NotificationChannel = 'log' | 'smtp';

/**
 * Delivers one rendered message. `send` resolves once the message was handed over (logged,
 * accepted by the mail server) and rejects when it was not; the consumer then rolls back and
 * retries the event with backoff, so a sender need not retry by itself.
 */
export interface NotificationSender {
  readonly channel: NotificationChannel;
  send(message: OutgoingMessage): Promise<void>;
}

export type { OutgoingMessage };
