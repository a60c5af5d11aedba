import { describe, expect, it } from 'vitest';
import { decideAuthorization, decideCharge } from '../src/domain/authorization.js';

describe('decideAuthorization', () => {
  it('given tok_declined, declines with PAYMENT_DECLINED', () => {
    expect(decideAuthorization('tok_declined')).toEqual({ kind: 'decline', reason: 'PAYMENT_DECLINED' });
  });
  it('given any other tok_* token, authorizes', () => {
    expect(decideAuthorization('tok_visa')).toEqual({ kind: 'authorize' });
    expect(decideAuthorization('tok_declined_not')).toEqual({ kind: 'authorize' });
  });
  it('given a token that is not tok_*, declines', () => {
    expect(decideAuthorization('4111111111111111').kind).toBe('decline');
  });
});

describe('decideCharge', () => {
  const fresh = { cancelled: false, answered: false, paymentToken: 'tok_visa' };

  it('given a known token and no payment yet, asks the gateway', () => {
    expect(decideCharge(fresh)).toEqual({ kind: 'authorize' });
    expect(decideCharge({ ...fresh, paymentToken: 'tok_declined' })).toEqual({ kind: 'decline', reason: 'PAYMENT_DECLINED' });
  });
  it('given order.placed not seen yet, waits (the event is retried)', () => {
    expect(decideCharge({ ...fresh, paymentToken: undefined })).toEqual({ kind: 'wait' });
  });
  it('given a payment already made for the order, charges nothing again', () => {
    expect(decideCharge({ ...fresh, answered: true })).toEqual({ kind: 'skip', because: 'answered' });
  });
  it('given a cancelled order, charges nothing, even before order.placed arrived', () => {
    expect(decideCharge({ ...fresh, cancelled: true })).toEqual({ kind: 'skip', because: 'cancelled' });
    expect(decideCharge({ cancelled: true, answered: false, paymentToken: undefined })).toEqual({ kind: 'skip', because: 'cancelled' });
  });
});
