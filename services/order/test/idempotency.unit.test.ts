import { describe, expect, it } from 'vitest';
import { canonicalJson, decideIdempotentRequest, requestHash } from '../src/domain/idempotency.js';

describe('canonicalJson / requestHash', () => {
  it('ignores key order and whitespace, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,1]},"b":1}');
    expect(requestHash({ b: 1, a: 2 })).toBe(requestHash(JSON.parse('{ "a": 2,  "b": 1 }')));
    expect(requestHash({ items: [1, 2] })).not.toBe(requestHash({ items: [2, 1] }));
  });
});

describe('decideIdempotentRequest', () => {
  it('given the same body under a known key, replays the first answer', () => {
    expect(decideIdempotentRequest({ requestHash: 'h1' }, 'h1')).toEqual({ kind: 'replay' });
  });
  it('given another body under a known key, refuses', () => {
    expect(decideIdempotentRequest({ requestHash: 'h1' }, 'h2').kind).toBe('conflict');
  });
});
