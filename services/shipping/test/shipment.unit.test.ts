import { describe, expect, it } from 'vitest';
import { decideDispatch, decideShipment } from '../src/domain/shipment.js';

const SHIPMENT_ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

describe('decideShipment', () => {
  it('given a served country, schedules with a tracking number derived from the shipment id', () => {
    expect(decideShipment('FR', SHIPMENT_ID)).toEqual({ kind: 'schedule', trackingNumber: 'TRK-0F1E2D3C4B5A' });
  });
  it('derives the same tracking number when decided again for the same shipment', () => {
    expect(decideShipment('GB', SHIPMENT_ID)).toEqual(decideShipment('DE', SHIPMENT_ID));
  });
  it('given AQ, fails with SHIPPING_UNAVAILABLE naming the country', () => {
    expect(decideShipment('AQ', SHIPMENT_ID)).toEqual({ kind: 'fail', reason: 'SHIPPING_UNAVAILABLE', country: 'AQ' });
  });
  it('honours another set of unserved countries', () => {
    expect(decideShipment('fr', SHIPMENT_ID, new Set(['FR'])).kind).toBe('fail');
  });
});

describe('decideDispatch', () => {
  const known = { cancelled: false, country: 'FR', decided: false };

  it('given an address and no earlier answer, decides the shipment', () => {
    expect(decideDispatch(known, SHIPMENT_ID).kind).toBe('schedule');
    expect(decideDispatch({ ...known, country: 'AQ' }, SHIPMENT_ID).kind).toBe('fail');
  });
  it('given no address yet (order.placed not seen), waits for it', () => {
    expect(decideDispatch({ ...known, country: undefined }, SHIPMENT_ID)).toEqual({ kind: 'wait' });
  });
  it('given an earlier answer (scheduled or failed), ignores the repeat', () => {
    expect(decideDispatch({ ...known, decided: true }, SHIPMENT_ID)).toEqual({ kind: 'ignore', because: 'decided' });
  });
  it('given a cancelled order, ignores the payment even without an address', () => {
    expect(decideDispatch({ cancelled: true, country: undefined, decided: false }, SHIPMENT_ID)).toEqual({ kind: 'ignore', because: 'cancelled' });
  });
});
