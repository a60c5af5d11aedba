import { describe, expect, it } from 'vitest';
import { decideReservation, type StockedProduct } from '../src/domain/reservation.js';

const catalogue = new Map<string, StockedProduct>([
  ['A-1', { sku: 'A-1', priceCents: 1000, currency: 'EUR', stock: 5 }],
  ['B-2', { sku: 'B-2', priceCents: 250, currency: 'EUR', stock: 1 }],
  ['U-1', { sku: 'U-1', priceCents: 100, currency: 'USD', stock: 9 }],
]);

describe('decideReservation', () => {
  it('given stock for every line, reserves all lines priced from the catalogue', () => {
    expect(decideReservation([{ sku: 'A-1', quantity: 2 }, { sku: 'B-2', quantity: 1 }], catalogue)).toEqual({
      kind: 'reserve',
      lines: [
        { sku: 'A-1', quantity: 2, unitPriceCents: 1000 },
        { sku: 'B-2', quantity: 1, unitPriceCents: 250 },
      ],
      amountCents: 2250,
      currency: 'EUR',
    });
  });
  it('given one short line, reserves nothing (OUT_OF_STOCK naming the SKU)', () => {
    expect(decideReservation([{ sku: 'A-1', quantity: 1 }, { sku: 'B-2', quantity: 2 }], catalogue)).toEqual({
      kind: 'reject',
      reason: 'OUT_OF_STOCK',
      skus: ['B-2'],
    });
  });
  it('adds up lines of the same SKU before checking stock', () => {
    expect(decideReservation([{ sku: 'B-2', quantity: 1 }, { sku: 'B-2', quantity: 1 }], catalogue).kind).toBe('reject');
  });
  it('given an unknown SKU, rejects with UNKNOWN_SKU even if another line is short', () => {
    expect(decideReservation([{ sku: 'B-2', quantity: 9 }, { sku: 'NOPE', quantity: 1 }], catalogue)).toEqual({
      kind: 'reject',
      reason: 'UNKNOWN_SKU',
      skus: ['NOPE'],
    });
  });
  it('refuses to mix currencies in one order', () => {
    expect(decideReservation([{ sku: 'A-1', quantity: 1 }, { sku: 'U-1', quantity: 1 }], catalogue).kind).toBe('reject');
  });
});
