import { streamForType, subjectFilter } from '@orderflow/contracts';
import {
  createConsumerRunner,
  createDirectPublisher,
  createOutboxPublisher,
  createOutboxRelay,
  type EventPublisher,
} from '../src/index.js';
import { describeMessagingBehaviour, type MessagingHarness } from '../src/testing/index.js';
import { createFixture } from './fixture.js';

// Every (publisher, runner mode) pair must pass the same behaviour suite.
for (const publisherKind of ['direct', 'outbox'] as const) {
  for (const mode of ['batch', 'single'] as const) {
    describeMessagingBehaviour(`${publisherKind} publisher, ${mode} runner`, async (): Promise<MessagingHarness> => {
      const f = await createFixture();
      const relay = createOutboxRelay({ pool: f.pool, nc: f.nc, namespace: f.ns, pollIntervalMs: 200 });
      await relay.start();
      const publisher: EventPublisher =
        publisherKind === 'direct' ? createDirectPublisher(f.js, { namespace: f.ns }) : createOutboxPublisher(f.pool);
      const runners: { stop(): Promise<void> }[] = [];
      return {
        nc: f.nc,
        namespace: f.ns,
        publisher,
        async startConsumer({ name, type, handler }) {
          const r = createConsumerRunner({
            nc: f.nc,
            pool: f.pool,
            source: 'inventory',
            name,
            stream: streamForType(type, f.ns).name,
            filterSubject: subjectFilter(type, f.ns),
            namespace: f.ns,
            mode,
            retry: { baseMs: 50, maxMs: 500 },
            handler,
          });
          await r.start();
          runners.push(r);
          return r;
        },
        async close() {
          for (const r of runners) await r.stop();
          await relay.stop();
          await f.close();
        },
      };
    });
  }
}
