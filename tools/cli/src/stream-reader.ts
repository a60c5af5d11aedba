import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** One message as stored in a stream. */
export interface RawMessage {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/** Whether `err` is JetStream's "stream not found". */
export function isStreamNotFound(err: unknown): boolean {
  // Not the status alone: 404 also means "consumer not found".
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

const BATCH = 256;

/**
 * Every message currently in `stream` whose subject matches `filterSubject`, oldest first.
 * Resolves `undefined` when the stream does not exist.
 *
 * Reads through an ephemeral pull consumer with ONE filter subject and no acks, as the
 * messaging package's `waitForEvent` does: nats-server 2.9 has neither multi-filter consumers
 * nor client-side filtered ordered consumers, and the server does the filtering, so tracing one
 * order costs a few messages per stream, not a walk over the whole stream. The consumer is
 * deleted afterwards; should we die first, `inactive_threshold` lets the server remove it.
 */
export async function readFiltered(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filterSubject: string,
): Promise<RawMessage[] | undefined> {
  try {
    const info = await jsm.streams.info(stream);
    if (info.state.messages === 0) return [];
  } catch (err) {
    if (isStreamNotFound(err)) return undefined;
    throw err;
  }
  const ci = await jsm.consumers.add(stream, {
    filter_subject: filterSubject,
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.None,
    inactive_threshold: nanos(30_000),
    mem_storage: true,
  });
  const out: RawMessage[] = [];
  try {
    const consumer = await js.consumers.get(stream, ci.name);
    // Only what was there when we started: a busy stream would otherwise keep us reading.
    let remaining = ci.num_pending;
    while (remaining > 0) {
      const messages = await consumer.fetch({ max_messages: Math.min(remaining, BATCH), expires: 2_000 });
      let got = 0;
      for await (const m of messages) {
        got++;
        out.push({ stream, seq: m.seq, subject: m.subject, data: m.data });
      }
      // Nothing within `expires`: the rest was deleted (max_age, discard) while we read.
      if (got === 0) break;
      remaining -= got;
    }
  } finally {
    await jsm.consumers.delete(stream, ci.name).catch(() => {});
  }
  return out;
}
