import { describe, expect, it } from 'vitest';
import { createLogger } from '@orderflow/service-kit';
import { loadEnv, senderConfigFrom } from '../src/env.js';
import { createLogSender, createSenderFromConfig } from '../src/senders/index.js';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };
const logger = createLogger({ service: 'notification', level: 'silent' });

describe('senders', () => {
  it('the log sender logs the whole message on the log channel', async () => {
    const lines: { obj: unknown; msg: string }[] = [];
    const sender = createLogSender({ info: (obj: unknown, msg: string) => void lines.push({ obj, msg }) } as never);
    expect(sender.channel).toBe('log');
    await sender.send({ to: 'a@example.com', subject: 'S', text: 'T' });
    expect(lines).toEqual([{ obj: { to: 'a@example.com', subject: 'S', text: 'T' }, msg: 'notification (log channel)' }]);
  });

  it('without SMTP_URL the service logs; with it, it mails from SMTP_FROM', () => {
    expect(createSenderFromConfig(senderConfigFrom(loadEnv(base)), logger).channel).toBe('log');
    const env = loadEnv({ ...base, SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(senderConfigFrom(env)).toEqual({ SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_FROM: 'orders@orderflow.local' });
    expect(createSenderFromConfig(senderConfigFrom(env), logger).channel).toBe('smtp');
  });

  it('treats an empty SMTP_URL as unset and rejects a non-SMTP URL, naming the variable', () => {
    expect(loadEnv({ ...base, SMTP_URL: '' }).SMTP_URL).toBeUndefined();
    expect(() => loadEnv({ ...base, SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => loadEnv({ ...base, SMTP_FROM: 'not an address' })).toThrow(/SMTP_FROM/);
  });

  it('defaults PORT to 3004', () => {
    expect(loadEnv(base).PORT).toBe(3004);
  });
});
