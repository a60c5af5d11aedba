import { describe, expect, it } from 'vitest';
import { layersOf } from '../src/shared-transactions.js';

describe('layersOf', () => {
  it('puts each part in the layer after the last one holding a part of one of its orders, so parts of different orders share a layer', () => {
    const parts = [
      { id: 1, keys: ['o1', 'o2'] },
      { id: 2, keys: ['o3'] },
      { id: 3, keys: ['o2', 'o4'] },
      { id: 4, keys: ['o5'] },
      { id: 5, keys: ['o4'] },
      { id: 6, keys: ['o1'] },
    ];
    expect(layersOf(parts).map((layer) => layer.map((p) => p.id))).toEqual([[1, 2, 4], [3, 6], [5]]);
  });

  it('keeps parts of one order in the order given, one layer each', () => {
    const parts = [{ id: 1, keys: ['o1'] }, { id: 2, keys: ['o1'] }, { id: 3, keys: ['o1'] }];
    expect(layersOf(parts).map((layer) => layer.map((p) => p.id))).toEqual([[1], [2], [3]]);
  });

  it('has one layer for parts of different orders, and none for no parts', () => {
    expect(layersOf([{ keys: ['a'] }, { keys: ['b'] }])).toHaveLength(1);
    expect(layersOf([])).toEqual([]);
  });
});
