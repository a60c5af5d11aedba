// Samples every bench consumer's server-side state every 200 ms; prints a line whenever a consumer
// has pending messages but delivered nothing for over 700 ms.
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const lastDelivered = new Map<string, { seq: number; at: number }>();
const out = process.argv[2] ?? '/tmp/m/watch.log';
const fs = await import('node:fs');
const log = (s: string) => fs.appendFileSync(out, `${new Date().toISOString()} ${s}\n`);
for (;;) {
  try {
    const streams = await jsm.streams.names().next();
    for (const stream of streams.filter((n) => n.startsWith('bench_'))) {
      const consumers = await jsm.consumers.list(stream).next();
      for (const c of consumers) {
        const key = `${stream}/${c.name}`;
        const now = Date.now();
        const prev = lastDelivered.get(key);
        const seq = c.delivered.consumer_seq;
        if (!prev || prev.seq !== seq) lastDelivered.set(key, { seq, at: now });
        else if (c.num_pending > 0 && now - prev.at > 700) {
          log(`${c.name} stuck ${now - prev.at} ms: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, waiting ${c.num_waiting}, redelivered ${c.num_redelivered}`);
        }
      }
    }
  } catch (err) {
    log(`error ${(err as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 200));
}
