import type { Logger } from '@orderflow/service-kit';
import type { NotificationSender } from './sender.js';

/**
 * The default sender: writes the message to the service log instead of mailing it (development,
 * tests, a stack without a mail server). The log line carries the correlation id of the event.
 */
export function createLogSender(logger: Pick<Logger, 'info'>): NotificationSender {
  return {
    channel: 'log',
    async send(message) {
      logger.info({ to: message.to, subject: message.subject, text: message.text }, 'notification (log channel)');
    },
  };
}
