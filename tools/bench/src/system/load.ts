import http from 'node:http';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { hopSummaries, type HopSummary } from './stats.js';

export const BENCH_SKU = 'BENCH-1';

/** The catalogue entry every bench order buys: enough stock that no order runs out. */
export async function seedBenchProduct(inventoryUrl: string): Promise<void> {
  const res = await fetch(`${inventoryUrl}/products/${BENCH_SKU}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench widget', priceCents: 1000, currency: 'EUR', stock: 1_000_000_000 }),
  });
  if (!res.ok) throw new Error(`PUT /products/${BENCH_SKU}: ${res.status} ${await res.text()}`);
}

const ORDER_BODY = JSON.stringify({
  customerId: 'bench',
  customerEmail: 'bench@example.com',
  items: [{ sku: BENCH_SKU, quantity: 1 }],
  shippingAddress: { name: 'Bench', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' },
  paymentToken: 'tok_visa',
});

type Final = { readonly type: 'order.confirmed' | 'order.cancelled'; readonly at: number };

/**
 * Watches every event of the namespace on NATS (a core subscription sees each message JetStream
 * stores, as it is stored): `order.confirmed` / `order.cancelled` end an order's flow, timed at
 * the moment the bench receives them; the others are kept for the slowest orders' breakdown.
 */
export class FinalEvents {
  private readonly seen = new Map<string, Final>();
  private readonly waiters = new Map<string, (f: Final) => void>();
  private readonly sub: Subscription;
  /** Arrival time of every event, by order id (for the slowest orders' breakdown). */
  readonly arrivals = new Map<string, { type: string; at: number }[]>();

  constructor(nc: NatsConnection, namespace: string) {
    const prefix = namespace ? `${namespace}.` : '';
    this.sub = nc.subscribe(`${prefix}>`, {
      callback: (_err, msg) => {
        const at = performance.now();
        // <type>.<orderId>, the type being two tokens; dead letters have two tokens in all.
        const parts = msg.subject.slice(prefix.length).split('.');
        if (parts.length !== 3) return;
        const type = `${parts[0]}.${parts[1]}`;
        const orderId = parts[2]!;
        const list = this.arrivals.get(orderId) ?? [];
        list.push({ type, at });
        this.arrivals.set(orderId, list);
        if (type !== 'order.confirmed' && type !== 'order.cancelled') return;
        const final = { type, at } as const;
        const waiter = this.waiters.get(orderId);
        if (waiter) {
          this.waiters.delete(orderId);
          waiter(final);
        } else if (!this.seen.has(orderId)) this.seen.set(orderId, final);
      },
    });
  }

  /** Resolves with the order's final event, or undefined after `timeoutMs`. */
  wait(orderId: string, timeoutMs: number): Promise<Final | undefined> {
    const early = this.seen.get(orderId);
    if (early) {
      this.seen.delete(orderId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(orderId);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(orderId, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }
}

/** What one load phase saw. */
export interface PhaseResult {
  readonly name: string;
  readonly mode: 'closed' | 'open';
  /** Concurrency (closed) or offered orders/s (open). */
  readonly level: number;
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly errors: number;
  readonly errorSamples: string[];
  /** Orders whose final event arrived within the phase window. */
  readonly confirmedInWindow: number;
  readonly confirmed: number;
  readonly cancelled: number;
  /** Accepted orders with no final event within the settle timeout after the phase. */
  readonly unsettled: number;
  /** POST sent → order.confirmed received, ms, for every confirmed order. */
  readonly latenciesMs: number[];
  /** POST sent → 202 received, ms. */
  readonly acceptMs: number[];
  /** [POST sent, s after the phase start; POST → order.confirmed, ms] of every confirmed order. */
  readonly timeline: [number, number][];
  /** The slowest confirmed orders: each event's arrival, ms after the POST was sent. */
  readonly slowest: { orderId: string; totalMs: number; events: { type: string; atMs: number }[] }[];
  /** Every hop of the flow (POST → order.placed → …), its gaps summarized over the phase's orders. */
  readonly hops: HopSummary[];
}

interface Counters {
  sent: number;
  accepted: number;
  errors: number;
  errorSamples: string[];
  confirmedInWindow: number;
  confirmed: number;
  cancelled: number;
  unsettled: number;
  latenciesMs: number[];
  acceptMs: number[];
  timeline: [number, number][];
  starts: Map<string, number>;
}

function post(agent: http.Agent, url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ORDER_BODY) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(ORDER_BODY);
  });
}

/**
 * Places orders for `seconds`: `closed` keeps `level` orders in flight, each waiting for its final
 * event before the next; `open` sends `level` orders/s whatever happens. Afterwards it waits up
 * to `settleMs` for every accepted order's final event. `record: false` runs a warm-up.
 */
export async function runPhase(options: {
  name: string;
  orderUrl: string;
  finals: FinalEvents;
  mode: 'closed' | 'open';
  level: number;
  seconds: number;
  settleMs?: number;
  onTick?: (c: Readonly<Counters>, elapsedS: number) => void;
}): Promise<PhaseResult> {
  const { finals, mode, level } = options;
  const settleMs = options.settleMs ?? 60_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: mode === 'closed' ? level : 256 });
  const url = new URL('/orders', options.orderUrl);
  const c: Counters = { sent: 0, accepted: 0, errors: 0, errorSamples: [], confirmedInWindow: 0, confirmed: 0, cancelled: 0, unsettled: 0, latenciesMs: [], acceptMs: [], timeline: [], starts: new Map() };
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  const settleDeadline = deadline + settleMs;
  const tick = setInterval(() => options.onTick?.(c, (performance.now() - t0) / 1000), 200);

  const error = (what: string) => {
    c.errors += 1;
    if (c.errorSamples.length < 5) c.errorSamples.push(what.slice(0, 300));
  };

  /** One order, start to final event. */
  async function one(): Promise<void> {
    const start = performance.now();
    c.sent += 1;
    let orderId: string;
    try {
      const res = await post(agent, url);
      if (res.status !== 202) return error(`${res.status} ${res.body}`);
      orderId = (JSON.parse(res.body) as { orderId: string }).orderId;
      c.accepted += 1;
      c.acceptMs.push(performance.now() - start);
      c.starts.set(orderId, start);
    } catch (err) {
      return error(err instanceof Error ? err.message : String(err));
    }
    const final = await finals.wait(orderId, Math.max(1000, settleDeadline - performance.now()));
    if (!final) {
      c.unsettled += 1;
      return;
    }
    if (final.at <= deadline) c.confirmedInWindow += final.type === 'order.confirmed' ? 1 : 0;
    if (final.type === 'order.confirmed') {
      c.confirmed += 1;
      c.latenciesMs.push(final.at - start);
      c.timeline.push([Math.round(start - t0) / 1000, Math.round((final.at - start) * 10) / 10]);
    } else c.cancelled += 1;
  }

  if (mode === 'closed') {
    await Promise.all(
      Array.from({ length: level }, async () => {
        while (performance.now() < deadline) await one();
      }),
    );
  } else {
    const inFlight = new Set<Promise<void>>();
    const intervalMs = 1000 / level;
    let next = t0;
    while (performance.now() < deadline) {
      const now = performance.now();
      while (next <= now && next < deadline) {
        const p = one().finally(() => inFlight.delete(p));
        inFlight.add(p);
        next += intervalMs;
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(10, next - performance.now()))));
    }
    await Promise.all(inFlight);
  }
  clearInterval(tick);
  agent.destroy();
  const orders = [...c.starts.entries()].map(([orderId, start]) => {
    const events = (finals.arrivals.get(orderId) ?? []).map((e) => ({ type: e.type, atMs: Math.round(e.at - start) }));
    const confirmed = events.find((e) => e.type === 'order.confirmed');
    return { orderId, totalMs: confirmed?.atMs ?? Number.POSITIVE_INFINITY, events };
  });
  const hops = hopSummaries(orders.map((o) => o.events));
  const slowest = orders.sort((a, b) => b.totalMs - a.totalMs).slice(0, 3);
  const { starts: _starts, ...counters } = c;
  return { name: options.name, mode, level, seconds: options.seconds, ...counters, slowest, hops };
}
