import { describe, expect, it, vi } from 'vitest';
import { createLogger, onShutdown } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('onShutdown', () => {
  it('runs the steps once, in order, then exits 0', async () => {
    const order: string[] = [];
    const exit = vi.fn();
    const step = (name: string) => ({ name, run: async () => void order.push(name) });
    const trigger = onShutdown([step('http'), step('consumers'), step('nats'), step('db')], { logger, exit, signals: [] });
    await Promise.all([trigger(), trigger()]);
    await trigger();
    expect(order).toEqual(['http', 'consumers', 'nats', 'db']);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('keeps going after a failing step and exits 1', async () => {
    const ran: string[] = [];
    const exit = vi.fn();
    const trigger = onShutdown(
      [
        { name: 'http', run: async () => Promise.reject(new Error('close failed')) },
        { name: 'db', run: async () => void ran.push('db') },
      ],
      { logger, exit, signals: [] },
    );
    await trigger();
    expect(ran).toEqual(['db']);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('exits 1 when the steps exceed the timeout', async () => {
    const exit = vi.fn();
    const trigger = onShutdown([{ name: 'stuck', run: () => new Promise<void>(() => {}) }], { logger, exit, signals: [], timeoutMs: 50 });
    await trigger();
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('starts on a signal, and ignores repeated signals', async () => {
    const exit = vi.fn();
    let runs = 0;
    onShutdown([{ name: 'http', run: async () => void runs++ }], { logger, exit, signals: ['SIGUSR2'] });
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(runs).toBe(1);
  });
});
