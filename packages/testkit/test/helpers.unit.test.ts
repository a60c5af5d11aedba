import { describe, expect, it } from 'vitest';
import { eventually, uniqueNamespace } from '../src/index.js';

describe('uniqueNamespace', () => {
  it('is a prefix plus 8 hex digits, valid as a subject token and stream name', () => {
    const ns = uniqueNamespace();
    expect(ns).toMatch(/^t[0-9a-f]{8}$/);
    expect(uniqueNamespace('orders_')).toMatch(/^orders_[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 200 }, () => uniqueNamespace())).size).toBe(200);
  });

  it('rejects prefixes that would break subjects', () => {
    expect(() => uniqueNamespace('a.b')).toThrow(/prefix/);
    expect(() => uniqueNamespace('a*')).toThrow(/prefix/);
    expect(() => uniqueNamespace('a b')).toThrow(/prefix/);
  });
});

describe('eventually', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await eventually(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 5 });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throw as "not yet", so fn may hold assertions', async () => {
    let calls = 0;
    const value = await eventually(
      async () => {
        calls += 1;
        expect(calls).toBeGreaterThan(2);
        return 'done';
      },
      { intervalMs: 5 },
    );
    expect(value).toBe('done');
  });

  it('times out naming the last error', async () => {
    const started = Date.now();
    const failure = eventually(
      () => {
        throw new Error('still 0 rows');
      },
      { timeoutMs: 200, intervalMs: 20, message: 'order confirmed' },
    );
    await expect(failure).rejects.toThrow(/order confirmed not met within 200 ms .*last error: still 0 rows/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('times out naming the last falsy value', async () => {
    await expect(eventually(() => 0, { timeoutMs: 100, intervalMs: 10 })).rejects.toThrow(/last value: 0/);
  });

  it('does not wait past the deadline for an attempt that hangs', async () => {
    const started = Date.now();
    await expect(
      eventually(() => new Promise<never>(() => undefined), { timeoutMs: 150 }),
    ).rejects.toThrow(/first attempt never finished/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
