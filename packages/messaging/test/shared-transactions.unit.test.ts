import { describe, expect, it } from 'vitest';
import { takeDisjoint } from '../src/shared-transactions.js';

describe('takeDisjoint', () => {
  it('takes, in order, the parts that share no order with one taken before them, and leaves the rest waiting in order', () => {
    const waiting = [
      { id: 1, keys: ['o1', 'o2'] },
      { id: 2, keys: ['o3'] },
      { id: 3, keys: ['o2', 'o4'] },
      { id: 4, keys: ['o5'] },
      { id: 5, keys: ['o4'] },
    ];
    expect(takeDisjoint(waiting).map((p) => p.id)).toEqual([1, 2, 4, 5]);
    expect(waiting.map((p) => p.id)).toEqual([3]);
    expect(takeDisjoint(waiting).map((p) => p.id)).toEqual([3]);
    expect(waiting).toEqual([]);
  });

  it('always takes the first part, so a waiting part is never starved', () => {
    const waiting = [{ keys: ['o1'] }, { keys: ['o1'] }];
    expect(takeDisjoint(waiting)).toHaveLength(1);
    expect(waiting).toHaveLength(1);
  });
});
