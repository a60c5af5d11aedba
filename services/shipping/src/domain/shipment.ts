/** Countries never served. `AQ` (Antarctica) is the contract's deterministic failure. */
export const UNSERVED_COUNTRIES: ReadonlySet<string> = new Set(['AQ']);

export type ShipmentDecision =
  | { readonly kind: 'schedule'; readonly trackingNumber: string }
  | { readonly kind: 'fail'; readonly reason: 'SHIPPING_UNAVAILABLE'; readonly country: string };

/**
 * Schedules a shipment unless the country is not served (the failure names the country, as
 * `shipment.failed` does). The tracking number is derived from the shipment id, so a retried
 * decision yields the same number.
 */
export function decideShipment(country: string, shipmentId: string, unserved: ReadonlySet<string> = UNSERVED_COUNTRIES): ShipmentDecision {
  if (unserved.has(country.toUpperCase())) return { kind: 'fail', reason: 'SHIPPING_UNAVAILABLE', country };
  return { kind: 'schedule', trackingNumber: `TRK-${shipmentId.replace(/-/g, '').slice(0, 12).toUpperCase()}` };
}

/** What shipping knows about an order when its `payment.authorized` arrives. */
export interface DispatchState {
  /** A tombstone exists: `order.cancelled` was seen (possibly before anything else). */
  readonly cancelled: boolean;
  /** The country from `order.placed`; undefined while that event has not arrived. */
  readonly country: string | undefined;
  /** The order was answered already: a shipment was scheduled, or the attempt failed. */
  readonly decided: boolean;
}

/**
 * What to do with `payment.authorized`: `ignore` it (cancelled, or answered by an earlier copy
 * of the fact), `wait` (the address has not arrived: the payment is kept, and the `order.placed`
 * that brings the address decides it), or the shipment decision.
 * A cancelled order wins over everything, so a late payment never schedules a shipment.
 */
export type DispatchDecision =
  | { readonly kind: 'ignore'; readonly because: 'cancelled' | 'decided' }
  | { readonly kind: 'wait' }
  | ShipmentDecision;

/** Decides `payment.authorized` from the state shipping holds; `shipmentId` is the id a new shipment would get. */
export function decideDispatch(state: DispatchState, shipmentId: string, unserved: ReadonlySet<string> = UNSERVED_COUNTRIES): DispatchDecision {
  if (state.cancelled) return { kind: 'ignore', because: 'cancelled' };
  if (state.decided) return { kind: 'ignore', because: 'decided' };
  if (state.country === undefined) return { kind: 'wait' };
  return decideShipment(state.country, shipmentId, unserved);
}
