/**
 * Hooks the relay and the consumer runner call as they work. The messaging package does not
 * depend on a metrics library; service-kit adapts these to prom-client. All methods must be
 * cheap and must not throw.
 */
export interface MessagingMetrics {
  /** The relay got PubAcks for `count` outbox rows. */
  relayPublished(count: number): void;
  /** The relay failed to publish `count` rows; they stay in the outbox and are retried. */
  relayFailed(count: number): void;
  /** Outbox rows still waiting to be published, as seen by the last relay pass. */
  outboxBacklog(count: number): void;
  /**
   * One message finished in the runner: acked after commit, skipped as a duplicate, ignored (a
   * type the handler does not take: acked with no transaction), nak'd for retry, or dead-lettered.
   */
  consumed(consumer: string, outcome: ConsumeOutcome, seconds: number): void;
  /**
   * The runner took a message up for handling, `lagSeconds` after JetStream stored it: delivery,
   * the wait in the runner's queue behind the transactions before it, and any redelivery delays.
   * A hop that stalls shows here before anywhere else. (The stored time is the NATS server's
   * clock; across hosts, their skew is in the figure.) `queuedSeconds` is the part of it spent in
   * the runner's own queue, from its pull loop taking the message from the fetch until taken up;
   * the rest is delivery (waiting for a pull request to serve it) and, while the pull loops are
   * blocked (`pullBlocked`), the fetch's buffer.
   */
  taken(consumer: string, lagSeconds: number, queuedSeconds: number): void;
  /**
   * The runner's pull loops waited `seconds` for room in its full local queue, leaving delivered
   * messages in the client's fetch buffer: time that `taken`'s `queuedSeconds` does not see.
   */
  pullBlocked(consumer: string, seconds: number): void;
}

export type ConsumeOutcome = 'processed' | 'duplicate' | 'ignored' | 'retried' | 'dead_lettered';

/** Metrics that go nowhere (the default). */
export const noopMetrics: MessagingMetrics = {
  relayPublished: () => {},
  relayFailed: () => {},
  outboxBacklog: () => {},
  consumed: () => {},
  taken: () => {},
  pullBlocked: () => {},
};
