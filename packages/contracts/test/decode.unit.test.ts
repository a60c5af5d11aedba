import { describe, expect, it } from 'vitest';
import {
  DecodeFailure,
  EventDecodeError,
  decodeEvent,
  eventTypes,
  exampleEvent,
  isEventDecodeError,
  type EventType,
} from '@orderflow/contracts';

const encoder = new TextEncoder();

function decodeError(body: unknown): EventDecodeError {
  try {
    decodeEvent(body);
  } catch (err) {
    if (isEventDecodeError(err)) return err;
    throw err;
  }
  throw new Error('decodeEvent did not throw');
}

describe('decodeEvent', () => {
  it('covers all 13 event types', () => {
    expect(eventTypes).toHaveLength(13);
  });

  it.each(eventTypes.map((t) => [t]))('round-trips an example of %s from bytes, a string and a value', (type: EventType) => {
    const event = exampleEvent(type);
    expect(decodeEvent(encoder.encode(JSON.stringify(event)))).toEqual(event);
    expect(decodeEvent(JSON.stringify(event))).toEqual(event);
    expect(decodeEvent(structuredClone(event))).toEqual(event);
  });

  it('strips unknown fields rather than rejecting them (tolerant reader)', () => {
    const event = exampleEvent('payment.declined');
    const decoded = decodeEvent({ ...event, extra: 1, data: { ...event.data, note: 'x' } });
    expect(decoded).toEqual(event);
  });

  it.each([
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['not JSON', '{"id": '],
    ['a JSON array', '[1, 2]'],
    ['JSON null', 'null'],
    ['a JSON string', '"order.placed"'],
  ])('refuses %s as MALFORMED', (_what, body) => {
    const err = decodeError(body);
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err.failure).toBe(DecodeFailure.malformed);
  });

  it('refuses an unknown or missing type as UNKNOWN_TYPE', () => {
    expect(decodeError({ ...exampleEvent('order.placed'), type: 'order.shipped' }).failure).toBe('UNKNOWN_TYPE');
    expect(decodeError({ version: 1 }).failure).toBe('UNKNOWN_TYPE');
  });

  it('refuses an unknown or missing version as UNKNOWN_VERSION', () => {
    const err = decodeError({ ...exampleEvent('order.placed'), version: 99 });
    expect(err.failure).toBe('UNKNOWN_VERSION');
    expect(err.message).toContain('99');
    expect(decodeError({ ...exampleEvent('order.placed'), version: '1' }).failure).toBe('UNKNOWN_VERSION');
    const { version: _v, ...noVersion } = exampleEvent('order.placed');
    expect(decodeError(noVersion).failure).toBe('UNKNOWN_VERSION');
  });

  it('refuses bad data as INVALID with the path of each issue', () => {
    const event = exampleEvent('order.placed');
    const bad = { ...event, data: { ...event.data, items: [{ sku: 'SKU-1', quantity: 0 }] } };
    const err = decodeError(bad);
    expect(err.failure).toBe('INVALID');
    expect(err.issues).toEqual([{ path: 'data.items.0.quantity', message: expect.any(String) }]);
    expect(err.message).toMatch(/^invalid order\.placed@1: data\.items\.0\.quantity /);
  });

  it('refuses a bad envelope as INVALID', () => {
    const err = decodeError({ ...exampleEvent('shipment.failed'), orderId: 'not-a-uuid', correlationId: '' });
    expect(err.failure).toBe('INVALID');
    expect(err.issues.map((i) => i.path).sort()).toEqual(['correlationId', 'orderId']);
  });

  it('recognises its errors by name, across module copies', () => {
    const err = decodeError('nope');
    expect(isEventDecodeError(err)).toBe(true);
    expect(isEventDecodeError(Object.assign(new Error('x'), { name: 'EventDecodeError' }))).toBe(true);
    expect(isEventDecodeError(new Error('x'))).toBe(false);
    expect(isEventDecodeError('EventDecodeError')).toBe(false);
  });
});
