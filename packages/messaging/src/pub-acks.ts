import { createInbox, headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** What JetStream answers to a publish it stored (or recognised as a duplicate by Nats-Msg-Id). */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/** Publishes to JetStream and waits for the PubAck, many at once. */
export interface PubAckPublisher {
  /** Resolves with the PubAck; rejects on a JetStream error, no stream for the subject, or no answer within the timeout. */
  publish(subject: string, payload: Uint8Array, msgId: string, headers: Readonly<Record<string, string>>): Promise<PubAck>;
  /** Ends the reply subscription and the timeout sweep; pending publishes are rejected. */
  close(): void;
}

const decoder = new TextDecoder();

interface Pending {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
}

/**
 * A JetStream publisher with one reply subscription and one timeout sweep for all its publishes.
 *
 * Why not `js.publish`: each one is an `nc.request`, which arms a timer of its own and, on
 * success, still builds an `Error` with a stack trace (nats.js `RequestOne.cancel`, 3.x), about
 * 2% of each service's CPU in the benchmark, more than the publish itself. Here a publish is a
 * map entry, a plain `nc.publish` with a reply subject, and a `JSON.parse` of the answer.
 */
export function createPubAckPublisher(nc: NatsConnection, options: { timeoutMs: number }): PubAckPublisher {
  const { timeoutMs } = options;
  const prefix = `${createInbox()}.`;
  const pending = new Map<string, Pending>();
  let next = 0;

  const sub: Subscription = nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (err) {
        failAll(err);
        return;
      }
      settle(msg);
    },
  });

  // Every publish has the same timeout, so the map (insertion-ordered) is ordered by deadline:
  // the sweep stops at the first entry still in time.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [token, p] of pending) {
        if (p.deadline > now) break;
        pending.delete(token);
        p.reject(new Error(`no PubAck within ${timeoutMs} ms`));
      }
    },
    Math.max(50, Math.min(250, timeoutMs / 4)),
  );
  sweep.unref();

  function settle(msg: Msg): void {
    const token = msg.subject.slice(prefix.length);
    const p = pending.get(token);
    if (!p) return; // timed out already
    pending.delete(token);
    if (msg.data.length === 0) {
      // A status without a body: 503 means no stream takes the subject.
      const code = msg.headers?.code ?? 0;
      p.reject(new Error(code === 503 ? 'no JetStream stream takes this subject (no responders)' : `empty PubAck (status ${code})`));
      return;
    }
    try {
      const a = JSON.parse(decoder.decode(msg.data)) as {
        stream?: string;
        seq?: number;
        duplicate?: boolean;
        error?: { code?: number; err_code?: number; description?: string };
      };
      if (a.error) p.reject(new Error(`JetStream refused the publish: ${a.error.description ?? 'unknown'} (${a.error.err_code ?? a.error.code})`));
      else if (!a.stream) p.reject(new Error('invalid PubAck: no stream'));
      else p.resolve({ stream: a.stream, seq: a.seq ?? 0, duplicate: a.duplicate === true });
    } catch (e) {
      p.reject(new Error('unreadable PubAck', { cause: e }));
    }
  }

  function failAll(err: Error): void {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  }

  return {
    publish(subject, payload, msgId, hdrs) {
      return new Promise<PubAck>((resolve, reject) => {
        const token = (next++).toString(36);
        const h = natsHeaders();
        for (const k in hdrs) h.set(k, hdrs[k]!);
        h.set('Nats-Msg-Id', msgId);
        try {
          nc.publish(subject, payload, { reply: prefix + token, headers: h });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        pending.set(token, { resolve, reject, deadline: Date.now() + timeoutMs });
      });
    },
    close() {
      clearInterval(sweep);
      if (!sub.isClosed()) sub.unsubscribe();
      failAll(new Error('publisher closed'));
    },
  };
}
