/**
 * `npm run bench:watch`: samples the server-side state of every durable consumer of the bench's
 * streams (namespace `bench_<hex>`) and reports each one that has messages pending but has delivered
 * nothing for a while: the server's view of a stalled hop, to run beside `npm run bench`.
 *
 *   npm run bench:watch -- [--interval=200] [--stuck-ms=700] [--out=FILE]
 *
 * NATS_URL (default nats://127.0.0.1:4222). Runs until Ctrl-C.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { isBenchStackStream } from './bench-streams.js';

const { values } = parseArgs({
  options: { interval: { type: 'string', default: '200' }, 'stuck-ms': { type: 'string', default: '700' }, out: { type: 'string' } },
});
const intervalMs = Number(values.interval);
const stuckMs = Number(values['stuck-ms']);
const report = (line: string) => {
  const text = `${new Date().toISOString()} ${line}`;
  console.log(text);
  if (values.out) appendFileSync(values.out, `${text}\n`);
};

const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
process.on('SIGINT', () => void nc.close().then(() => process.exit(0)));
report(`watching the consumers of the bench's streams every ${intervalMs} ms (stuck: pending and no delivery for ${stuckMs} ms)`);
/** Per consumer and counter (its delivered sequence, its ack floor): the value, and since when. */
const seen = new Map<string, { value: number; since: number }>();
/** How long the counter `key` has kept `value` (0 when it just changed). */
function unchangedFor(key: string, value: number, now: number): number {
  const last = seen.get(key);
  if (last !== undefined && last.value === value) return now - last.since;
  seen.set(key, { value, since: now });
  return 0;
}
for (;;) {
  try {
    const streams = (await jsm.streams.names().next()).filter(isBenchStackStream);
    for (const stream of streams) {
      for (const c of await jsm.consumers.list(stream).next()) {
        const key = `${stream}/${c.name}`;
        const now = Date.now();
        const max = c.config.max_ack_pending ?? 0;
        if (max > 0 && c.num_ack_pending >= max) {
          report(`${c.name}: at its max_ack_pending (${c.num_ack_pending} of ${max} unacked); ${c.num_pending} pending, ${c.num_waiting} pull requests waiting`);
        }
        const noAck = unchangedFor(`${key}/ack floor`, c.ack_floor.consumer_seq, now);
        if (c.num_ack_pending > 0 && noAck > stuckMs) {
          report(`${c.name}: nothing acked for ${noAck} ms with ${c.num_ack_pending} unacked; ${c.num_pending} pending, ${c.num_waiting} pull requests waiting, delivered ${c.delivered.consumer_seq}`);
        }
        const noDelivery = unchangedFor(`${key}/delivered`, c.delivered.consumer_seq, now);
        if (c.num_pending > 0 && noDelivery > stuckMs) {
          report(`${c.name}: nothing delivered for ${noDelivery} ms with ${c.num_pending} pending; ${c.num_ack_pending} unacked, ${c.num_waiting} pull requests waiting`);
        }
      }
    }
  } catch (err) {
    report(`error: ${(err as Error).message}`);
  }
  await sleep(intervalMs);
}
