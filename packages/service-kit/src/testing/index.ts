import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadLetterStream, serviceStreams, type Namespace } from '@orderflow/contracts';
import { createDirectPublisher, type EventPublisher } from '@orderflow/messaging';
import { createTestDatabase, testInfra, uniqueNamespace } from '@orderflow/testkit';
import type { BaseEnv, EnvSource } from '../env.js';
import { startService, type RunningService, type ServiceDefinition } from '../service.js';

/** A service started for a test: its own database and subject namespace on the shared servers. */
export interface TestService<TSchema extends Record<string, unknown>> extends RunningService<TSchema> {
  readonly namespace: Namespace;
  /** A NATS connection of the test's own, for injecting and reading events. */
  readonly testNc: NatsConnection;
  /** Publishes events straight to JetStream (with Nats-Msg-Id = id). */
  readonly publisher: EventPublisher;
  /** `fetch` against the service's HTTP port. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** How many messages `consumer` finished with `outcome` (`processed`, `retried`: nak'd for a redelivery, …), from /metrics. */
  consumed(consumer: string, outcome: string): Promise<number>;
  /** Stops the service, deletes the namespace's streams, drops the database. */
  close(): Promise<void>;
}

/**
 * Starts one service against the test infrastructure (testkit), on a random port, with a fresh
 * database and a unique namespace, so test files can run side by side on one NATS and Postgres.
 */
export async function startTestService<TSchema extends Record<string, unknown>>(
  definition: ServiceDefinition<TSchema>,
  loadEnv: (source: EnvSource) => BaseEnv,
  options: { namespace?: Namespace; env?: EnvSource; clock?: () => Date } = {},
): Promise<TestService<TSchema>> {
  const infra = testInfra();
  const db = await createTestDatabase({ prefix: definition.name });
  const namespace = options.namespace ?? uniqueNamespace();
  const env = loadEnv({
    NATS_URL: infra.natsUrl,
    DATABASE_URL: db.url,
    NATS_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...options.env,
  });
  const running = await startService(definition, env, { host: '127.0.0.1', clock: options.clock });
  const testNc = await connect({ servers: infra.natsUrl });
  return {
    ...running,
    namespace,
    testNc,
    publisher: createDirectPublisher(jetstream(testNc), { namespace }),
    request: (path, init) => fetch(`${running.url}${path}`, init),
    async consumed(consumer, outcome) {
      const text = await (await fetch(`${running.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('messaging_messages_consumed_total{') && l.includes(`consumer="${consumer}"`) && l.includes(`outcome="${outcome}"`));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    },
    async close() {
      await running.stop();
      const jsm = await jetstreamManager(testNc);
      for (const s of [...serviceStreams(namespace), deadLetterStream(namespace)]) await jsm.streams.delete(s.name).catch(() => {});
      await testNc.close();
      await db.drop();
    },
  };
}
