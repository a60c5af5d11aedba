/** A catalogue entry as the reservation decision sees it. */
export interface StockedProduct {
  readonly sku: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
}

export interface RequestedLine {
  readonly sku: string;
  readonly quantity: number;
}

export type ReservationDecision =
  | {
      readonly kind: 'reserve';
      readonly lines: readonly { sku: string; quantity: number; unitPriceCents: number }[];
      readonly amountCents: number;
      readonly currency: string;
    }
  | { readonly kind: 'reject'; readonly reason: 'OUT_OF_STOCK' | 'UNKNOWN_SKU'; readonly skus: readonly string[] };

/**
 * All or nothing: every line must name a known SKU with enough stock, or nothing is reserved.
 * Lines of the same SKU are added up first. Prices come from the catalogue, never the client.
 * Unknown SKUs win over shortages (the order can never succeed). All lines must share one currency.
 */
export function decideReservation(lines: readonly RequestedLine[], products: ReadonlyMap<string, StockedProduct>): ReservationDecision {
  const wanted = new Map<string, number>();
  for (const l of lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
  const unknown = [...wanted.keys()].filter((sku) => !products.has(sku));
  if (unknown.length > 0) return { kind: 'reject', reason: 'UNKNOWN_SKU', skus: unknown };
  const short = [...wanted].filter(([sku, qty]) => products.get(sku)!.stock < qty).map(([sku]) => sku);
  if (short.length > 0) return { kind: 'reject', reason: 'OUT_OF_STOCK', skus: short };
  const priced = [...wanted].map(([sku, quantity]) => {
    const p = products.get(sku)!;
    return { sku, quantity, unitPriceCents: p.priceCents, currency: p.currency };
  });
  const currencies = new Set(priced.map((p) => p.currency));
  if (currencies.size > 1) return { kind: 'reject', reason: 'UNKNOWN_SKU', skus: priced.map((p) => p.sku) };
  return {
    kind: 'reserve',
    lines: priced.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
    amountCents: priced.reduce((sum, p) => sum + p.quantity * p.unitPriceCents, 0),
    currency: priced[0]!.currency,
  };
}
