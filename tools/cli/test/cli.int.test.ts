// The commands against a real NATS: events published into namespaced streams, read back by trace;
// dead letters written the way the consumer runner writes them, listed, replayed, discarded.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { deadLetterStream, serviceStreams, streamForType, subjectFor, type DomainEvent } from '@orderflow/contracts';
import { createDirectPublisher, ensureStreams, PermanentError, publishDeadLetter } from '@orderflow/messaging';
import { testInfra, uniqueNamespace } from '@orderflow/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand, type NatsCommand } from '../src/cli.js';
import { shortId } from '../src/format.js';
import { chainEvents, declinedOrder, declinedOrderTree } from './events.js';

interface Fixture {
  readonly ns: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  publish(events: readonly DomainEvent[]): Promise<void>;
  /** Runs a command as the CLI would; resolves its exit code and what it printed. */
  run(command: NatsCommand): Promise<{ code: number; out: string[]; err: string[] }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fixture(options: { streams?: boolean } = {}): Promise<Fixture> {
  const nc = await connect({ servers: testInfra().natsUrl });
  const ns = uniqueNamespace('cli');
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const streams = [...serviceStreams(ns), deadLetterStream(ns)];
  if (options.streams !== false) await ensureStreams(jsm, streams, { storage: 'memory' });
  cleanups.push(async () => {
    for (const s of streams) await jsm.streams.delete(s.name).catch(() => {});
    await nc.close();
  });
  const publisher = createDirectPublisher(js, { namespace: ns });
  return {
    ns,
    nc,
    js,
    jsm,
    publish: (events) => publisher.publish(events),
    async run(command) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCommand(command, { nc, namespace: ns, out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err };
    },
  };
}

const trace = (id: string, more: Partial<Extract<NatsCommand, { kind: 'trace' }>> = {}): NatsCommand => ({
  kind: 'trace',
  id,
  by: 'auto',
  json: false,
  ...more,
});

/** Dead-letters the stored copy of `event`, exactly as the consumer runner does after a PermanentError. */
async function deadLetter(f: Fixture, event: DomainEvent, consumer: string): Promise<void> {
  const stream = streamForType(event.type, f.ns).name;
  const info = await f.jsm.consumers.add(stream, {
    filter_subject: subjectFor(event, f.ns),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.Explicit,
    inactive_threshold: nanos(30_000),
  });
  try {
    const consumer$ = await f.js.consumers.get(stream, info.name);
    const msg = await consumer$.next({ expires: 5_000 });
    if (!msg) throw new Error(`no ${event.type} to dead-letter`);
    await publishDeadLetter(f.js, msg, { consumer, reason: 'permanent', error: new PermanentError('card network said no'), namespace: f.ns });
    msg.ack();
  } finally {
    await f.jsm.consumers.delete(stream, info.name).catch(() => {});
  }
}

/** The EVENT column of the trace table (the tree), with the type's indentation. */
function eventColumn(out: readonly string[]): string[] {
  const header = out.findIndex((l) => l.startsWith('TIME '));
  const start = out[header]!.indexOf('EVENT');
  const end = out[header]!.indexOf('ID ', start);
  const rows = out.slice(header + 1, out.indexOf('', header));
  return rows.map((l) => l.slice(start, end).trimEnd());
}

describe('trace', () => {
  it('prints one order in causal order, each event under its cause, and nothing of other orders', async () => {
    const f = await fixture();
    const chain = declinedOrder({ t0: new Date() });
    const other = declinedOrder({ correlationId: chain.correlationId });
    // Scrambled, and interleaved with another order of the same correlation id.
    await f.publish([...chainEvents(chain), ...chainEvents(other)]);

    const { code, out, err } = await f.run(trace(chain.orderId));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toBe(`Trace of order ${chain.orderId}: 6 events, 0 dead letters`);
    expect(out[1]).toBe(`correlation ids: ${chain.correlationId}`);
    expect(eventColumn(out)).toEqual(declinedOrderTree);
    const table = out.join('\n');
    expect(table).toMatch(new RegExp(`\\+20 +inventory +└─ inventory\\.reserved +${shortId(chain.reserved.id)} +${shortId(chain.placed.id)} +amountCents=8900`));
    expect(table).toContain('reason=PAYMENT_DECLINED');
    expect(table).not.toContain(shortId(other.placed.id));
    expect(out.at(-1)).toBe('No dead letters.');
  });

  it('finds a correlation id across orders, and prints raw JSON lines with --json', async () => {
    const f = await fixture();
    const chain = declinedOrder();
    await f.publish([...chainEvents(chain), ...chainEvents(declinedOrder())]);

    const table = await f.run(trace(chain.correlationId));
    expect(table.code).toBe(0);
    expect(table.out[0]).toBe(`Trace of correlation id ${chain.correlationId}: 6 events, 0 dead letters`);
    expect(table.out[1]).toBe(`orders: ${chain.orderId}`);

    const json = await f.run(trace(chain.correlationId, { json: true }));
    expect(json.code).toBe(0);
    const events = json.out.map((l) => JSON.parse(l) as DomainEvent);
    expect(events.map((e) => e.id)).toEqual([chain.placed, chain.reserved, chain.declined, chain.cancelled, chain.released, chain.notified].map((e) => e.id));
    expect(events[0]).toEqual(chain.placed);
  });

  it('exits 1 with a clear message when nothing matches, or the namespace has no streams', async () => {
    const f = await fixture();
    const nothing = await f.run(trace(declinedOrder().orderId));
    expect(nothing.code).toBe(1);
    expect(nothing.out).toEqual([]);
    expect(nothing.err[0]).toMatch(/^Nothing found for "[0-9a-f-]{36}": no event or dead letter has it .* in namespace "cli[0-9a-f]{8}"\.$/);

    const empty = await fixture({ streams: false });
    const missing = await empty.run(trace('demo-1'));
    expect(missing.code).toBe(1);
    expect(missing.err[1]).toBe(`Streams not found: ${[...serviceStreams(empty.ns), deadLetterStream(empty.ns)].map((s) => s.name).join(', ')} (check NATS_NAMESPACE).`);
  });

  it('lists the dead letters of the order', async () => {
    const f = await fixture();
    const chain = declinedOrder();
    await f.publish(chainEvents(chain));
    await deadLetter(f, chain.declined, 'order-payment-events');

    const { code, out } = await f.run(trace(chain.orderId));
    expect(code).toBe(0);
    expect(out[0]).toBe(`Trace of order ${chain.orderId}: 6 events, 1 dead letter`);
    const dl = out.indexOf('Dead letters (1) — npm run dead-letters -- replay <seq> | discard <seq>:');
    expect(dl).toBeGreaterThan(0);
    expect(out[dl + 2]).toMatch(new RegExp(`^ {2}1 {2}order-payment-events {2}${f.ns}\\.payment\\.declined\\.${chain.orderId} {2}permanent {2}PermanentError: card network said no +1 {2}\\d{4}-`));
  });
});

describe('dead-letters', () => {
  it('lists, filters by consumer, replays to the original subject, and refuses a replayed seq', async () => {
    const f = await fixture();
    const chain = declinedOrder();
    await f.publish(chainEvents(chain));
    await deadLetter(f, chain.declined, 'order-payment-events');
    await deadLetter(f, chain.reserved, 'payment-inventory-events');

    const list = await f.run({ kind: 'dead-letters-list', consumer: undefined, limit: 1000 });
    expect(list.code).toBe(0);
    expect(list.out[0]).toMatch(/^SEQ {2}CONSUMER +SUBJECT +REASON +ERROR +DELIVERIES {2}TIME$/);
    expect(list.out.slice(1).map((l) => l.trim().split(/\s{2,}/).slice(0, 6))).toEqual([
      ['1', 'order-payment-events', `${f.ns}.payment.declined.${chain.orderId}`, 'permanent', 'PermanentError: card network said no', '1'],
      ['2', 'payment-inventory-events', `${f.ns}.inventory.reserved.${chain.orderId}`, 'permanent', 'PermanentError: card network said no', '1'],
    ]);

    const one = await f.run({ kind: 'dead-letters-list', consumer: 'payment-inventory-events', limit: 1000 });
    expect(one.out).toHaveLength(2);
    expect(one.out[1]).toMatch(/^ {2}2 {2}payment-inventory-events {2}/);
    expect((await f.run({ kind: 'dead-letters-list', consumer: 'nobody', limit: 1000 })).out).toEqual(['No dead letters for consumer nobody.']);

    const payment = streamForType('payment.declined', f.ns).name;
    const before = (await f.jsm.streams.info(payment)).state.messages;
    const replay = await f.run({ kind: 'dead-letters-replay', seq: 1 });
    expect(replay).toEqual({
      code: 0,
      out: [
        `Replayed dead letter 1 (consumer order-payment-events, reason permanent, subject ${f.ns}.payment.declined.${chain.orderId}) and removed it from ${deadLetterStream(f.ns).name}.`,
      ],
      err: [],
    });
    // Back on its subject, same event (consumers that handled it skip it by its id).
    expect((await f.jsm.streams.info(payment)).state.messages).toBe(before + 1);
    const replayed = await f.jsm.streams.getMessage(payment, { last_by_subj: subjectFor(chain.declined, f.ns) });
    expect((JSON.parse(new TextDecoder().decode(replayed!.data)) as DomainEvent).id).toBe(chain.declined.id);

    const after = await f.run({ kind: 'dead-letters-list', consumer: undefined, limit: 1000 });
    expect(after.out.slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(['2']);
    const again = await f.run({ kind: 'dead-letters-replay', seq: 1 });
    expect(again.code).toBe(1);
    expect(again.err).toEqual([`No dead letter 1 in ${deadLetterStream(f.ns).name} (npm run dead-letters -- list shows them).`]);
  });

  it('discards without replaying', async () => {
    const f = await fixture();
    const chain = declinedOrder();
    await f.publish(chainEvents(chain));
    await deadLetter(f, chain.declined, 'order-payment-events');
    const payment = streamForType('payment.declined', f.ns).name;
    const before = (await f.jsm.streams.info(payment)).state.messages;

    const discard = await f.run({ kind: 'dead-letters-discard', seq: 1 });
    expect(discard.code).toBe(0);
    expect(discard.out[0]).toMatch(/^Discarded dead letter 1 \(consumer order-payment-events, reason permanent, subject /);
    expect((await f.run({ kind: 'dead-letters-list', consumer: undefined, limit: 1000 })).out).toEqual(['No dead letters.']);
    expect((await f.jsm.streams.info(payment)).state.messages).toBe(before);
  });

  it('says so when the namespace has no dead-letter stream', async () => {
    const f = await fixture({ streams: false });
    const list = await f.run({ kind: 'dead-letters-list', consumer: undefined, limit: 1000 });
    expect(list.code).toBe(1);
    expect(list.err[0]).toMatch(/^No dead-letter stream DEAD_LETTERS_cli[0-9a-f]{8} in namespace/);
  });
});

describe('main.ts', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const run = (args: string[], env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=@orderflow/source', main, ...args], {
      env: { ...process.env, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('runs as the root script does: the trace, a usage error, and NATS out of reach', async () => {
    const f = await fixture();
    const chain = declinedOrder();
    await f.publish(chainEvents(chain));
    const ok = await run(['trace', chain.orderId], { NATS_URL: testInfra().natsUrl, NATS_NAMESPACE: f.ns });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('      └─ order.cancelled');

    const usage = await run(['dead-letters', 'replay'], { NATS_URL: testInfra().natsUrl });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^dead-letters replay takes one sequence number .*\n\nUsage:/);

    // Without NATS_URL: the NATS a running `npm start` recorded in its data directory.
    const dataDir = mkdtempSync(join(tmpdir(), 'cli-stack-'));
    writeFileSync(join(dataDir, 'nats.url'), `${testInfra().natsUrl}\n`);
    const fromStack = await run(['trace', chain.orderId], { NATS_URL: '', STACK_DATA_DIR: dataDir, NATS_NAMESPACE: f.ns });
    rmSync(dataDir, { recursive: true, force: true });
    expect(fromStack.code).toBe(0);
    expect(fromStack.stdout).toContain('      └─ order.cancelled');

    // Port 1 is never a NATS server.
    const down = await run(['dead-letters', 'list'], { NATS_URL: 'nats://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Cannot reach NATS at nats:\/\/127\.0\.0\.1:1 \(NATS_URL\): /);
  });
});
