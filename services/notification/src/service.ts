import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@orderflow/service-kit';
import { buildApp } from './app.js';
import { schema, type NotificationSchema } from './db/schema.js';
import { senderConfigFrom } from './env.js';
import { HANDLED_ORDER_EVENTS, createOrderEventBatchHandler, createOrderEventHandler } from './handlers/order-events.js';
import { createSenderFromConfig, type NotificationSender } from './senders/index.js';

/** Options of {@link createNotificationService}. */
export interface NotificationServiceOptions {
  /** How messages are delivered; default: SMTP when the env has `SMTP_URL`, else the log. */
  readonly sender?: NotificationSender;
}

/**
 * The notification service: tells the customer about `order.confirmed` / `order.cancelled`
 * once each, emits `notification.sent`, and serves `GET /notifications`. Without a `sender`
 * the sender is chosen from the env `startService` was given, when the consumers are built.
 */
export function createNotificationService(options: NotificationServiceOptions = {}): ServiceDefinition<NotificationSchema> {
  return {
    name: 'notification',
    schema,
    migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
    consumers: (deps) => {
      const sender = options.sender ?? createSenderFromConfig(senderConfigFrom(deps.env), deps.logger);
      deps.logger.info({ channel: sender.channel }, 'notification sender');
      return [
        // Sending is a side effect outside the transaction (see the handlers' hazard note): the
        // batch handler sends a transaction's messages at once and reports only the unsent ones
        // failed, so a refused message never rolls back, and re-sends, the others. Two
        // transactions run at once, so one batch's sending overlaps the next one's statements
        // (never two of one order, which keeps "no confirmation after the cancellation was sent"
        // intact).
        {
          name: 'notification-order-events',
          from: 'order',
          handler: createOrderEventHandler(sender),
          batchHandler: createOrderEventBatchHandler(sender),
          types: HANDLED_ORDER_EVENTS,
          concurrency: 2,
        },
      ];
    },
    buildApp,
  };
}

/** The notification service with the sender its env selects (`main.ts`). */
export const notificationService: ServiceDefinition<NotificationSchema> = createNotificationService();

export { loadEnv } from './env.js';
export { createLogSender, createSmtpSender } from './senders/index.js';
export type { NotificationEnv } from './env.js';
export type { NotificationChannel, NotificationSender, OutgoingMessage } from './senders/index.js';
