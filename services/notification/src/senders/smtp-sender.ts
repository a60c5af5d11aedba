import { createTransport } from 'nodemailer';
import type { NotificationSender } from './sender.js';

/** Timeouts of one SMTP conversation; bounded so a stuck server cannot hold the handler's transaction for minutes. */
export interface SmtpTimeouts {
  readonly connectionMs?: number;
  readonly greetingMs?: number;
  readonly socketMs?: number;
}

/**
 * Mails each message through the server at `smtpUrl` (`smtp://host:port`, STARTTLS when the
 * server offers it; `smtps://` for TLS from the start; credentials in the URL) with nodemailer.
 * One connection per message (no pool): nothing stays open, so the service needs no shutdown
 * step for it, and notifications are few. A rejected recipient or an unreachable server rejects
 * `send`, and the event is retried.
 */
export function createSmtpSender(smtpUrl: string, from: string, timeouts: SmtpTimeouts = {}): NotificationSender {
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: timeouts.connectionMs ?? 10_000,
    greetingTimeout: timeouts.greetingMs ?? 10_000,
    socketTimeout: timeouts.socketMs ?? 20_000,
  });
  return {
    channel: 'smtp',
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}
