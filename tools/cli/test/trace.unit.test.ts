import { describe, expect, it } from 'vitest';
import { deadLetterMatches, looseEnvelope } from '../src/trace.js';

const orderId = '0b6c0d2e-5f1a-4c3b-9d7e-112233445566';
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('looseEnvelope', () => {
  it('reads the ids of an invalid body, and nothing from a non-JSON one', () => {
    expect(looseEnvelope(bytes({ id: 'e-1', orderId, correlationId: 'demo-1', version: 99 }))).toEqual({ id: 'e-1', orderId, correlationId: 'demo-1' });
    expect(looseEnvelope(bytes({ id: 7, orderId: null }))).toEqual({});
    expect(looseEnvelope(bytes('{"this is": not json'))).toEqual({});
    expect(looseEnvelope(bytes('"a string"'))).toEqual({});
  });
});

describe('deadLetterMatches', () => {
  const none = new Set<string>();

  it('matches an order by the last subject token, even when the body is not JSON', () => {
    const dl = { originalSubject: `ns1.order.placed.${orderId}`, data: bytes('garbage') };
    expect(deadLetterMatches(dl, { id: orderId, by: 'auto' }, none)).toBe(true);
    expect(deadLetterMatches(dl, { id: orderId.toUpperCase(), by: 'order' }, none)).toBe(true);
    expect(deadLetterMatches(dl, { id: orderId, by: 'correlation' }, none)).toBe(false);
  });

  it('matches a correlation id by the body, and a traced event by its id', () => {
    const dl = { originalSubject: 'order.placed.other', data: bytes({ id: 'e-1', correlationId: 'demo-1' }) };
    expect(deadLetterMatches(dl, { id: 'demo-1', by: 'auto' }, none)).toBe(true);
    expect(deadLetterMatches(dl, { id: 'demo-2', by: 'auto' }, none)).toBe(false);
    expect(deadLetterMatches(dl, { id: orderId, by: 'order' }, new Set(['e-1']))).toBe(true);
  });
});
