import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { waitForEvent } from '@orderflow/messaging/testing';
import { startTestService, type TestService } from '@orderflow/service-kit/testing';
import { eventually } from '@orderflow/testkit';
import { loadEnv, notificationService } from '../src/service.js';
import type { NotificationSchema } from '../src/db/schema.js';
import { confirmed } from './support.js';

interface Received {
  readonly from: string | undefined;
  readonly to: readonly string[];
  readonly raw: string;
}

const received: Received[] = [];
// A real SMTP server on loopback. No STARTTLS (its self-signed certificate would fail the
// client's verification) and no AUTH: the mail path itself is what is under test.
const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});

let svc: TestService<NotificationSchema>;
beforeAll(async () => {
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = smtp.server.address() as AddressInfo;
  svc = await startTestService(notificationService, loadEnv, { env: { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'shop@example.com' } });
});
afterAll(async () => {
  await svc?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('notification service over SMTP', () => {
  it('mails the customer through the SMTP server and reports the smtp channel', async () => {
    const e = confirmed();
    await svc.publisher.publish([e]);
    const sent = await waitForEvent(svc.testNc, 'notification.sent', (x) => x.orderId === e.orderId, { namespace: svc.namespace });
    expect(sent.data.channel).toBe('smtp');
    expect(sent.data.recipient).toBe(e.data.customerEmail);

    const mail = await eventually(() => received.find((m) => m.raw.includes(e.orderId)));
    expect(mail.to).toEqual([e.data.customerEmail]);
    expect(mail.from).toBe('shop@example.com');
    expect(mail.raw).toMatch(new RegExp(`^Subject: Order ${e.orderId} confirmed\\r?$`, 'm'));
    expect(mail.raw).toContain(`Tracking number: ${e.data.trackingNumber}`);
    expect(received.filter((m) => m.raw.includes(e.orderId))).toHaveLength(1);
  });
});
