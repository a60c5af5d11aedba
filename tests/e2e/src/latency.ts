// Places orders one at a time on an in-process stack and prints POST→CONFIRMED latency, taken
// from the events themselves (order.placed.occurredAt → order.confirmed.occurredAt, one clock).
// Usage: npm run latency -w @orderflow/e2e -- [orders]   (needs NATS_URL and DATABASE_URL)
import { eventsOfOrder } from './events.js';
import { orderBody, placeOrder, setProduct, waitForOrder } from './flow.js';
import { startStack } from './stack.js';

const n = Number(process.argv[2] ?? 50);
const stack = await startStack();
try {
  await setProduct(stack, 'LATENCY-1', 1_000_000, 1000);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const placed = await placeOrder(stack, orderBody({ items: [{ sku: 'LATENCY-1', quantity: 1 }] }));
    await waitForOrder(stack, placed.body.orderId, 'CONFIRMED');
    const events = await eventsOfOrder(stack, placed.body.orderId);
    const p = events.find((e) => e.type === 'order.placed');
    const c = events.find((e) => e.type === 'order.confirmed');
    if (p && c) samples.push(Date.parse(c.occurredAt) - Date.parse(p.occurredAt));
    if (i === 0) console.log(`first order (cold): ${Math.round(performance.now() - started)} ms wall`);
  }
  samples.sort((a, b) => a - b);
  const q = (x: number) => samples[Math.min(samples.length - 1, Math.floor(x * samples.length))];
  console.log(`orders: ${samples.length}  POST→CONFIRMED ms  p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${samples.at(-1)}`);
} finally {
  await stack.close();
}
