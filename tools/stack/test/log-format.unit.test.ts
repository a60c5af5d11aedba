import { describe, expect, it } from 'vitest';
import { clock, formatPinoLine, noColours, prefix, PREFIX_WIDTH } from '../src/log-format.js';

const line = (entry: Record<string, unknown>) => JSON.stringify({ level: 30, time: '2025-01-02T03:04:05.678Z', pid: 1, hostname: 'h', service: 'order', ...entry });

describe('formatPinoLine', () => {
  it('shows time, level, message and the useful fields only', () => {
    const text = formatPinoLine(
      line({ msg: 'order placed', orderId: 'o-1', correlationId: 'demo-1', eventId: 'e-1', traceparent: '00-abc' }),
      noColours,
    );
    expect(text).toBe(`${clock('2025-01-02T03:04:05.678Z')} INFO  order placed orderId=o-1 correlationId=demo-1`);
  });

  it("condenses Fastify's request lines", () => {
    expect(formatPinoLine(line({ msg: 'incoming request', req: { method: 'POST', url: '/orders', host: 'x' } }), noColours)).toMatch(
      / INFO {2}incoming request POST \/orders$/,
    );
    expect(formatPinoLine(line({ msg: 'request completed', res: { statusCode: 202 }, responseTime: 12.4 }), noColours)).toMatch(
      / INFO {2}request completed 202 12ms$/,
    );
  });

  it('shows the error type, message, code and cause', () => {
    const err = { type: 'PgError', message: 'connection refused', code: 'ECONNREFUSED', stack: '...', cause: { message: 'socket closed' } };
    expect(formatPinoLine(line({ level: 50, msg: 'relay failed', err }), noColours)).toMatch(
      / ERROR relay failed err=PgError: connection refused \[ECONNREFUSED\] \(cause: socket closed\)$/,
    );
  });

  it('quotes values with spaces', () => {
    expect(formatPinoLine(line({ msg: 'x', reason: 'no stock left' }), noColours)).toMatch(/reason="no stock left"$/);
  });

  it('leaves what is not a pino line to the caller', () => {
    expect(formatPinoLine('    at Object.<anonymous> (main.ts:1:1)', noColours)).toBeUndefined();
    expect(formatPinoLine('{not json', noColours)).toBeUndefined();
    expect(formatPinoLine('{"hello":"world"}', noColours)).toBeUndefined();
  });
});

describe('prefix', () => {
  it('is one fixed width for every service', () => {
    const order = prefix('order', (s) => s, noColours);
    const notification = prefix('notification', (s) => s, noColours);
    expect(order).toBe(`${'order'.padEnd(PREFIX_WIDTH)}│ `);
    expect(order.length).toBe(notification.length);
  });
});
