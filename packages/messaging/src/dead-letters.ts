import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { deadLetterStream, deadLetterSubject, type Namespace } from '@orderflow/contracts';

/** Headers a dead letter carries besides the original message's own. */
export const DeadLetterHeader = {
  reason: 'Dead-Letter-Reason',
  error: 'Dead-Letter-Error',
  subject: 'Dead-Letter-Subject',
  stream: 'Dead-Letter-Stream',
  sequence: 'Dead-Letter-Sequence',
  consumer: 'Dead-Letter-Consumer',
  deliveries: 'Dead-Letter-Deliveries',
  at: 'Dead-Letter-At',
} as const;

/** Why a message was dead-lettered. */
export type DeadLetterReason = 'undecodable' | 'unknown_version' | 'permanent' | 'exhausted';

/** One message in the dead-letter stream. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream (use it to replay or discard). */
  readonly seq: number;
  readonly reason: string;
  readonly error: string;
  readonly originalSubject: string;
  readonly originalStream: string;
  readonly originalSequence: number;
  readonly consumer: string;
  readonly deliveries: number;
  readonly at: string;
  readonly headers: Record<string, string>;
  readonly data: Uint8Array;
}

function oneLine(s: string): string {
  // NATS header values cannot hold CR/LF.
  return s.replace(/[\r\n]+/g, ' ').slice(0, 2000);
}

function copyHeaders(from: MsgHdrs | undefined, to: MsgHdrs): void {
  if (!from) return;
  for (const key of from.keys()) {
    if (key.toLowerCase() === 'nats-msg-id' || key.startsWith('Nats-')) continue;
    for (const v of from.values(key)) to.append(key, v);
  }
}

/**
 * Publishes `msg` with its original subject, headers, payload and the error to the dead-letter
 * stream, waiting for the PubAck. The caller acks the original only after this resolves, so a
 * crash in between re-delivers it and the dead letter is de-duplicated by its Nats-Msg-Id.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  msg: JsMsg,
  failure: { consumer: string; reason: DeadLetterReason; error: unknown; namespace?: Namespace },
): Promise<void> {
  const h = natsHeaders();
  copyHeaders(msg.headers, h);
  const err = failure.error;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  h.set(DeadLetterHeader.reason, failure.reason);
  h.set(DeadLetterHeader.error, oneLine(text));
  h.set(DeadLetterHeader.subject, msg.subject);
  h.set(DeadLetterHeader.stream, msg.info.stream);
  h.set(DeadLetterHeader.sequence, String(msg.info.streamSequence));
  h.set(DeadLetterHeader.consumer, failure.consumer);
  h.set(DeadLetterHeader.deliveries, String(msg.info.deliveryCount));
  h.set(DeadLetterHeader.at, new Date().toISOString());
  await js.publish(deadLetterSubject(failure.consumer, failure.namespace), msg.data, {
    headers: h,
    msgID: `dl:${failure.consumer}:${msg.info.stream}:${msg.info.streamSequence}`,
  });
}

function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

/** Lists dead letters, oldest first, optionally only those of one consumer. */
export async function listDeadLetters(
  jsm: JetStreamManager,
  options: { namespace?: Namespace; consumer?: string; limit?: number } = {},
): Promise<DeadLetter[]> {
  const stream = deadLetterStream(options.namespace).name;
  const info = await jsm.streams.info(stream);
  const out: DeadLetter[] = [];
  const limit = options.limit ?? 1000;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < limit; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    const headers = headerRecord(m.header);
    const dl: DeadLetter = {
      seq: m.seq,
      reason: headers[DeadLetterHeader.reason] ?? '',
      error: headers[DeadLetterHeader.error] ?? '',
      originalSubject: headers[DeadLetterHeader.subject] ?? '',
      originalStream: headers[DeadLetterHeader.stream] ?? '',
      originalSequence: Number(headers[DeadLetterHeader.sequence] ?? 0),
      consumer: headers[DeadLetterHeader.consumer] ?? '',
      deliveries: Number(headers[DeadLetterHeader.deliveries] ?? 0),
      at: headers[DeadLetterHeader.at] ?? '',
      headers,
      data: m.data,
    };
    if (!options.consumer || dl.consumer === options.consumer) out.push(dl);
  }
  return out;
}

/**
 * Publishes a dead letter's original payload and headers back to its original subject, then
 * removes it from the dead-letter stream. Every consumer of that subject sees it again; those
 * that had already handled the event skip it (inbox), the one that failed retries it.
 */
export async function replayDeadLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  seq: number,
  options: { namespace?: Namespace } = {},
): Promise<void> {
  const stream = deadLetterStream(options.namespace).name;
  const m = await jsm.streams.getMessage(stream, { seq });
  if (!m) throw new Error(`no dead letter ${seq} in ${stream}`);
  const subject = m.header?.get(DeadLetterHeader.subject);
  if (!subject) throw new Error(`dead letter ${seq} has no ${DeadLetterHeader.subject} header`);
  const h = natsHeaders();
  for (const k of m.header.keys()) {
    if (k.startsWith('Dead-Letter-') || k.startsWith('Nats-')) continue;
    for (const v of m.header.values(k)) h.append(k, v);
  }
  // A fresh Nats-Msg-Id: the original id may still be inside the duplicate window.
  await js.publish(subject, m.data, { headers: h, msgID: `replay:${stream}:${seq}` });
  await jsm.streams.deleteMessage(stream, seq);
}

/** Removes a dead letter without replaying it. */
export async function discardDeadLetter(jsm: JetStreamManager, seq: number, options: { namespace?: Namespace } = {}): Promise<void> {
  await jsm.streams.deleteMessage(deadLetterStream(options.namespace).name, seq);
}
