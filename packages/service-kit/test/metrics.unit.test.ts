import { describe, expect, it } from 'vitest';
import { createMessagingMetrics, createMetricsRegistry } from '../src/index.js';

describe('metrics', () => {
  it('registry has default metrics and the HTTP histogram, labelled with the service', async () => {
    const registry = createMetricsRegistry('shipping');
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total{service="shipping"}');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('messaging metrics adapt the relay and runner hooks', async () => {
    const registry = createMetricsRegistry('order');
    const metrics = createMessagingMetrics(registry);
    metrics.relayPublished(3);
    metrics.relayPublished(0);
    metrics.relayFailed(2);
    metrics.relayFailed(-1);
    metrics.outboxBacklog(7);
    metrics.consumed('order-saga', 'processed', 0.02);
    metrics.consumed('order-saga', 'dead_lettered', 0.5);
    metrics.taken('order-saga', 0.3, 0.02);
    metrics.pullBlocked('order-saga', 0.5);
    metrics.pullBlocked('order-saga', 0);
    const text = await registry.metrics();
    expect(text).toContain('messaging_outbox_published_total{service="order"} 3');
    expect(text).toContain('messaging_outbox_publish_failures_total{service="order"} 2');
    expect(text).toContain('messaging_outbox_backlog{service="order"} 7');
    expect(text).toContain('messaging_pull_blocked_seconds_total{consumer="order-saga",service="order"} 0.5');
    expect(text).toContain('messaging_messages_consumed_total{consumer="order-saga",outcome="processed",service="order"} 1');
    // prom-client orders labels differently for histograms; match them in any order.
    expect(text).toMatch(/messaging_message_duration_seconds_count\{(?=[^}]*consumer="order-saga")(?=[^}]*outcome="dead_lettered")[^}]*\} 1\n/);
    expect(text).toMatch(/messaging_message_lag_seconds_bucket\{(?=[^}]*le="0.25")(?=[^}]*consumer="order-saga")[^}]*\} 0\n/);
    expect(text).toMatch(/messaging_message_lag_seconds_bucket\{(?=[^}]*le="0.5")(?=[^}]*consumer="order-saga")[^}]*\} 1\n/);
    expect(text).toMatch(/messaging_message_queued_seconds_bucket\{(?=[^}]*le="0.01")(?=[^}]*consumer="order-saga")[^}]*\} 0\n/);
    expect(text).toMatch(/messaging_message_queued_seconds_bucket\{(?=[^}]*le="0.025")(?=[^}]*consumer="order-saga")[^}]*\} 1\n/);
  });
});
