import type { Logger } from '@orderflow/service-kit';
import type { SenderConfig } from '../env.js';
import { createLogSender } from './log-sender.js';
import { createSmtpSender } from './smtp-sender.js';
import type { NotificationSender } from './sender.js';

/** SMTP when `SMTP_URL` is set, else the log sender. */
export function createSenderFromConfig(config: SenderConfig, logger: Logger): NotificationSender {
  return config.SMTP_URL ? createSmtpSender(config.SMTP_URL, config.SMTP_FROM) : createLogSender(logger);
}

export { createLogSender } from './log-sender.js';
export { createSmtpSender } from './smtp-sender.js';
export type { NotificationChannel, NotificationSender, OutgoingMessage } from './sender.js';
export type { SmtpTimeouts } from './smtp-sender.js';
