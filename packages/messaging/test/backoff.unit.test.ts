import { describe, expect, it } from 'vitest';
import { childTraceparent, isInfrastructureError, parseTraceparent, retryDelay } from '../src/index.js';

describe('retryDelay', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  it('grows exponentially within [exp/2, exp]', () => {
    expect(retryDelay(1, policy, () => 0)).toBe(50);
    expect(retryDelay(1, policy, () => 1)).toBe(100);
    expect(retryDelay(2, policy, () => 0)).toBe(100);
    expect(retryDelay(3, policy, () => 0.5)).toBe(300);
  });
  it('never decreases from one attempt to the next below the cap, whatever the jitter', () => {
    // base * 2^(n) <= maxMs for n <= 3
    for (let n = 1; n <= 3; n++) expect(retryDelay(n + 1, policy, () => 0)).toBeGreaterThanOrEqual(retryDelay(n, policy, () => 1));
  });
  it('is capped', () => {
    expect(retryDelay(50, policy, () => 1)).toBe(1000);
  });
});

describe('traceparent', () => {
  it('parses a valid header and refuses invalid ones', () => {
    const t = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(t).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });
  it('keeps the trace id and makes a new span for a child', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const child = parseTraceparent(childTraceparent(parent))!;
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.spanId).not.toBe('00f067aa0ba902b7');
    expect(parseTraceparent(childTraceparent())).toBeDefined();
  });
});

describe('isInfrastructureError', () => {
  it('recognises connection failures, not data errors', () => {
    expect(isInfrastructureError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isInfrastructureError(new Error('handler bug'))).toBe(false);
  });
});
