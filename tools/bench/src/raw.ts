import pg from 'pg';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ensureStreams } from '@orderflow/messaging';
import type { BenchInfra } from './infra.js';
import { reservedEvent } from './events.js';
import { figure, measure, type Figure } from './measure.js';

/** Pre-built messages, so the timed loops measure publishing and committing, not JSON.stringify. */
interface RawMessage {
  readonly id: string;
  readonly subjectSuffix: string;
  readonly body: Buffer;
  readonly json: string;
}

function messages(n: number): RawMessage[] {
  return Array.from({ length: n }, () => {
    const e = reservedEvent();
    const json = JSON.stringify(e);
    return { id: e.id, subjectSuffix: e.orderId, body: Buffer.from(json, 'utf8'), json };
  });
}

/**
 * A fresh stream with the settings `ensureStreams` gives the service streams (file storage,
 * 2-minute duplicate window), deleted after the run.
 */
async function withFreshStream(infra: BenchInfra, tag: string, fn: (subjectPrefix: string) => Promise<void>): Promise<void> {
  const name = `BENCH_RAW_${tag}_${infra.ns}`;
  const subjectPrefix = `${infra.ns}.raw.${tag}`;
  await ensureStreams(infra.jsm, [{ name, subjects: [`${subjectPrefix}.>`], owner: 'inventory', description: 'bench raw floor' }]);
  try {
    await fn(subjectPrefix);
    const info = await infra.jsm.streams.info(name);
    if (info.state.messages === 0) throw new Error(`raw stream ${name} is empty after the run`);
  } finally {
    await infra.jsm.streams.delete(name).catch(() => {});
  }
}

/**
 * The JetStream floor: publishes exactly what the relay publishes (the same ~450-byte body, a
 * `Nats-Msg-Id` and a `traceparent` header), once awaiting each PubAck and once with `window`
 * PubAcks in flight (the relay also publishes a batch at once and waits for all of it).
 */
export async function rawJetStream(infra: BenchInfra, n: number, window: number): Promise<Figure[]> {
  const publishWith = (js: JetStreamClient) => (prefix: string, m: RawMessage) => {
    const h = natsHeaders();
    h.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    return js.publish(`${prefix}.${m.subjectSuffix}`, m.body, { msgID: m.id, headers: h });
  };
  const publish = publishWith(infra.js);
  const pipelined = async (prefix: string, msgs: readonly RawMessage[], send = publish) => {
    for (let i = 0; i < msgs.length; i += window) {
      await Promise.all(msgs.slice(i, i + window).map((m) => send(prefix, m)));
    }
  };

  const figures: Figure[] = [];
  const seqMsgs = messages(n);
  await withFreshStream(infra, 'seq', async (prefix) => {
    const t = await measure(async () => {
      for (const m of seqMsgs) await publish(prefix, m);
    });
    figures.push(figure({ key: 'js.sequential', group: 'raw', label: 'JetStream publish, await each PubAck', events: n }, t));
  });

  const pipeMsgs = messages(n);
  await withFreshStream(infra, 'pipe', async (prefix) => {
    const t = await measure(() => pipelined(prefix, pipeMsgs));
    figures.push(
      figure({ key: 'js.pipelined', group: 'raw', label: `JetStream publish, ${window} PubAcks in flight`, events: n }, t),
    );
  });

  if (infra.jsNoTraces) {
    const send = publishWith(infra.jsNoTraces);
    const msgs = messages(n);
    await withFreshStream(infra, 'pipe_nt', async (prefix) => {
      const t = await measure(() => pipelined(prefix, msgs, send));
      figures.push(
        figure(
          { key: 'js.pipelined.notraces', group: 'raw', label: `JetStream publish, ${window} in flight, noAsyncTraces`, events: n },
          t,
        ),
      );
    });
  }
  return figures;
}

const INSERT = { name: 'bench-raw-insert', text: 'insert into bench_raw (payload) values ($1)' };

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/**
 * The Postgres floor: `begin; insert one ~450-byte row; commit` per event on one connection and
 * on `connections` concurrent ones (group commit lets concurrent commits share an fsync), and
 * `begin; 100 inserts; commit` on one connection, which is the least a consumer batch of 100
 * events with one write each costs.
 */
export async function rawPostgres(infra: BenchInfra, n: number, connections: number): Promise<Figure[]> {
  const msgs = messages(Math.min(n, 1000)).map((m) => m.json);
  const payload = (i: number) => msgs[i % msgs.length]!;
  const figures: Figure[] = [];

  const one = await client(infra.dbUrl);
  try {
    const seq = await measure(async () => {
      for (let i = 0; i < n; i++) {
        await one.query('begin');
        await one.query({ ...INSERT, values: [payload(i)] });
        await one.query('commit');
      }
    });
    figures.push(figure({ key: 'pg.sequential', group: 'raw', label: 'Postgres begin/insert/commit, 1 connection', events: n }, seq));

    const tx100 = await measure(async () => {
      for (let i = 0; i < n; i += 100) {
        await one.query('begin');
        for (let j = i; j < Math.min(n, i + 100); j++) await one.query({ ...INSERT, values: [payload(j)] });
        await one.query('commit');
      }
    });
    figures.push(
      figure({ key: 'pg.tx100', group: 'raw', label: 'Postgres 100 inserts per commit, 1 connection', events: n }, tx100),
    );
  } finally {
    await one.end();
  }

  const clients = await Promise.all(Array.from({ length: connections }, () => client(infra.dbUrl)));
  try {
    let next = 0;
    const t = await measure(async () => {
      await Promise.all(
        clients.map(async (c) => {
          for (let i = next++; i < n; i = next++) {
            await c.query('begin');
            await c.query({ ...INSERT, values: [payload(i)] });
            await c.query('commit');
          }
        }),
      );
    });
    figures.push(
      figure(
        { key: 'pg.concurrent', group: 'raw', label: `Postgres begin/insert/commit, ${connections} connections`, events: n },
        t,
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return figures;
}
