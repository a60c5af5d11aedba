import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.js';

describe('list cursor', () => {
  it('round-trips (createdAt, id)', () => {
    const c = { createdAt: new Date('2025-03-01T10:00:00.123Z'), id: '0b7a4c1e-3f7d-4a8e-9c2b-1d2e3f4a5b6c' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });
  it('rejects what it did not issue', () => {
    expect(decodeCursor('not a cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"t":"yesterday","id":"x"}').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('[1,2]').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"t":"2025-03-01T10:00:00.123Z","id":"nope"}').toString('base64url'))).toBeUndefined();
    expect(decodeCursor('x'.repeat(500))).toBeUndefined();
    const farFuture = { t: new Date(8.64e15).toISOString(), id: '0b7a4c1e-3f7d-4a8e-9c2b-1d2e3f4a5b6c' };
    expect(decodeCursor(Buffer.from(JSON.stringify(farFuture)).toString('base64url'))).toBeUndefined();
  });
});
