/** The deterministic test gateway: `tok_declined` is declined; any other `tok_*` authorizes. */
export type AuthorizationDecision = { readonly kind: 'authorize' } | { readonly kind: 'decline'; readonly reason: 'PAYMENT_DECLINED' };

/**
 * The gateway's answer for a payment token. A token that is not `tok_*` is declined too: the
 * order contract already rejects such tokens, so this only guards against a bad upstream.
 */
export function decideAuthorization(paymentToken: string): AuthorizationDecision {
  return paymentToken === 'tok_declined' || !paymentToken.startsWith('tok_')
    ? { kind: 'decline', reason: 'PAYMENT_DECLINED' }
    : { kind: 'authorize' };
}

/** What payment knows about an order when its `inventory.reserved` arrives. */
export interface ChargeState {
  /** A tombstone exists: `order.cancelled` was seen (possibly before anything else). */
  readonly cancelled: boolean;
  /** A payment row exists: this order was answered already (authorized, declined or refunded). */
  readonly answered: boolean;
  /** From `order.placed`; undefined while that event has not arrived. */
  readonly paymentToken: string | undefined;
}

/**
 * What to do with `inventory.reserved`:
 * - `skip`: nothing to charge and nothing to emit (cancelled, or answered by an earlier event);
 * - `wait`: `order.placed` has not arrived yet, so the token is unknown: the reservation is kept,
 *   and the `order.placed` that brings the token decides it;
 * - otherwise the gateway's answer.
 *
 * A cancelled order wins over everything, so a late event never charges it.
 */
export type ChargeDecision =
  | { readonly kind: 'skip'; readonly because: 'cancelled' | 'answered' }
  | { readonly kind: 'wait' }
  | AuthorizationDecision;

/** Decides `inventory.reserved` from the state payment holds; see {@link ChargeDecision}. */
export function decideCharge(state: ChargeState): ChargeDecision {
  if (state.cancelled) return { kind: 'skip', because: 'cancelled' };
  if (state.answered) return { kind: 'skip', because: 'answered' };
  if (state.paymentToken === undefined) return { kind: 'wait' };
  return decideAuthorization(state.paymentToken);
}
