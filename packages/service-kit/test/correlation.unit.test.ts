import { describe, expect, it } from 'vitest';
import { correlationIdFrom, isValidCorrelationId } from '../src/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlationIdFrom', () => {
  it('keeps a valid client id', () => {
    expect(correlationIdFrom('checkout-42.retry:1_A')).toBe('checkout-42.retry:1_A');
    expect(correlationIdFrom(['first', 'second'])).toBe('first');
  });

  it('generates a UUID when the header is missing or invalid', () => {
    for (const bad of [undefined, '', 'has space', 'x'.repeat(201), 'new\nline', '{"json":1}', 'ünïcode']) {
      expect(correlationIdFrom(bad)).toMatch(UUID);
    }
  });

  it('accepts exactly 1 to 200 characters', () => {
    expect(isValidCorrelationId('a')).toBe(true);
    expect(isValidCorrelationId('a'.repeat(200))).toBe(true);
    expect(isValidCorrelationId('a'.repeat(201))).toBe(false);
  });
});
