import { runWithContext } from '@orderflow/messaging';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe('createLogger', () => {
  it('stamps service on every line, and no context ids outside a context', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'inventory', destination }).info('hello');
    expect(lines[0]).toMatchObject({ service: 'inventory', msg: 'hello', level: 30 });
    expect(lines[0]).not.toHaveProperty('correlationId');
  });

  it('adds the ids of the current messaging context, also in child loggers and after await', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'payment', destination });
    await runWithContext({ correlationId: 'c-1', causationId: 'e-0', eventId: 'e-1' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      log.child({ component: 'handler' }).warn({ orderId: 'o-1' }, 'declined');
    });
    expect(lines[0]).toMatchObject({ service: 'payment', component: 'handler', orderId: 'o-1', correlationId: 'c-1', causationId: 'e-0', eventId: 'e-1' });
  });

  it('omits a null causationId (HTTP edge) and respects the level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'order', level: 'warn', destination });
    runWithContext({ correlationId: 'c-2', causationId: null }, () => {
      log.info('dropped');
      log.error('kept');
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'kept', correlationId: 'c-2' });
    expect(lines[0]).not.toHaveProperty('causationId');
  });
});
