import type { ConsumeOutcome, MessagingMetrics } from '@orderflow/messaging';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Name of the HTTP request duration histogram. */
export const HTTP_DURATION_METRIC = 'http_request_duration_seconds';

/**
 * A Prometheus registry for one service: Node's default metrics (CPU, memory, event loop lag,
 * GC) and the HTTP request duration histogram, every series labelled `service`. Create one per
 * process and pass it to `createHttpServer` and `createMessagingMetrics`; a registry per
 * service (not prom-client's global one) keeps tests that build several apps independent.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  httpDurationHistogram(registry);
  return registry;
}

/**
 * The HTTP duration histogram of `registry`, created on first use. Labels: `method`, `route`
 * (the route pattern, e.g. `/orders/:id`, never the raw URL, which would create a series per
 * order id) and `status_code`.
 */
export function httpDurationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status_code'> {
  const existing = registry.getSingleMetric(HTTP_DURATION_METRIC);
  if (existing !== undefined) return existing as Histogram<'method' | 'route' | 'status_code'>;
  return new Histogram({
    name: HTTP_DURATION_METRIC,
    help: 'HTTP request duration in seconds, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

/**
 * Adapts the messaging layer's hooks (outbox relay, consumer runner) to Prometheus series:
 *
 * - `messaging_outbox_published_total`, `messaging_outbox_publish_failures_total` (counters)
 * - `messaging_outbox_backlog` (gauge: rows waiting; a steady climb means the relay is stuck)
 * - `messaging_messages_consumed_total{consumer,outcome}` (counter)
 * - `messaging_message_duration_seconds{consumer,outcome}` (histogram)
 * - `messaging_message_lag_seconds{consumer}` (histogram: stored in JetStream → taken up by the
 *   runner; a consumer falling behind, or one stalled behind a slow transaction, shows here)
 * - `messaging_message_queued_seconds{consumer}` (histogram: the part of that lag spent in the
 *   runner's queue, after its pull loop took the message from the fetch)
 * - `messaging_pull_blocked_seconds_total{consumer}` (counter: pull loops waiting for room in the
 *   runner's full queue, messages left in the fetch's buffer meanwhile)
 *
 * Call once per registry: prom-client refuses to register a metric name twice.
 */
export function createMessagingMetrics(registry: Registry): MessagingMetrics {
  const published = new Counter({
    name: 'messaging_outbox_published_total',
    help: 'Outbox rows published to JetStream (PubAck received).',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'messaging_outbox_publish_failures_total',
    help: 'Outbox rows whose publish failed; they stay in the outbox and are retried.',
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'messaging_outbox_backlog',
    help: 'Outbox rows waiting to be published, as seen by the last relay pass.',
    registers: [registry],
  });
  const consumed = new Counter({
    name: 'messaging_messages_consumed_total',
    help: 'Messages finished by the consumer runner, by consumer and outcome.',
    labelNames: ['consumer', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'messaging_message_duration_seconds',
    help: 'Time from delivery to ack/nak/dead letter, by consumer and outcome.',
    labelNames: ['consumer', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  /** A histogram of how long messages waited, by consumer. */
  const waitHistogram = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ['consumer'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const lag = waitHistogram('messaging_message_lag_seconds', 'Time from a message being stored in JetStream to the consumer runner taking it up, by consumer.');
  const queued = waitHistogram(
    'messaging_message_queued_seconds',
    "Time from the consumer runner's pull loop taking a message from its fetch to the runner taking it up, by consumer: the runner's queue's part of messaging_message_lag_seconds.",
  );
  const pullBlocked = new Counter({
    name: 'messaging_pull_blocked_seconds_total',
    help: "Time the consumer runner's pull loops waited for room in its full local queue, by consumer (delivered messages wait in the fetch meanwhile).",
    labelNames: ['consumer'] as const,
    registers: [registry],
  });
  return {
    // The hooks must never throw; prom-client throws when a counter is decreased.
    relayPublished: (count: number) => {
      if (count > 0) published.inc(count);
    },
    relayFailed: (count: number) => {
      if (count > 0) failed.inc(count);
    },
    outboxBacklog: (count: number) => backlog.set(count),
    consumed: (consumer: string, outcome: ConsumeOutcome, seconds: number) => {
      consumed.inc({ consumer, outcome });
      duration.observe({ consumer, outcome }, seconds);
    },
    pullBlocked: (consumer: string, seconds: number) => {
      if (seconds > 0) pullBlocked.inc({ consumer }, seconds);
    },
    taken: (consumer: string, lagSeconds: number, queuedSeconds: number) => {
      lag.observe({ consumer }, lagSeconds);
      queued.observe({ consumer }, queuedSeconds);
    },
  };
}
