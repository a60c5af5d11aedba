import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadLetterStream, serviceStreams, type ServiceName } from '@orderflow/contracts';
import { createDirectPublisher, type EventPublisher } from '@orderflow/messaging';
import { startService, type BaseEnv, type EnvSource, type RunningService, type ServiceDefinition } from '@orderflow/service-kit';
import { createTestDatabase, testInfra, uniqueNamespace } from '@orderflow/testkit';
import { inventoryService, loadEnv as inventoryEnv } from '@orderflow/inventory';
import { notificationService, loadEnv as notificationEnv } from '@orderflow/notification';
import { orderService, loadEnv as orderEnv } from '@orderflow/order';
import { paymentService, loadEnv as paymentEnv } from '@orderflow/payment';
import { shippingService, loadEnv as shippingEnv } from '@orderflow/shipping';

interface Entry {
  readonly definition: ServiceDefinition<Record<string, unknown>>;
  readonly loadEnv: (source: EnvSource) => BaseEnv;
}

// Definitions are generic over each service's schema; the stack only starts and stops them.
const services: Record<ServiceName, Entry> = {
  order: { definition: orderService as unknown as Entry['definition'], loadEnv: orderEnv },
  inventory: { definition: inventoryService as unknown as Entry['definition'], loadEnv: inventoryEnv },
  payment: { definition: paymentService as unknown as Entry['definition'], loadEnv: paymentEnv },
  shipping: { definition: shippingService as unknown as Entry['definition'], loadEnv: shippingEnv },
  notification: { definition: notificationService as unknown as Entry['definition'], loadEnv: notificationEnv },
};

export const ALL_SERVICES: readonly ServiceName[] = ['order', 'inventory', 'payment', 'shipping', 'notification'];

/** The five services in this process, each with its own database, sharing one subject namespace. */
export interface Stack {
  readonly namespace: string;
  /** The test's own NATS connection (inject and read events). */
  readonly nc: NatsConnection;
  readonly publisher: EventPublisher;
  /** Base URL of a running service. */
  url(service: ServiceName): string;
  /** `fetch` against a service, JSON in and out. */
  call<T = unknown>(service: ServiceName, path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: T }>;
  start(service: ServiceName): Promise<void>;
  stop(service: ServiceName): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the stack against the test infrastructure. `only` starts a subset (the others can be
 * started later), which lets a test hold an order at a given step deterministically.
 */
export async function startStack(options: { only?: readonly ServiceName[] } = {}): Promise<Stack> {
  const infra = testInfra();
  const namespace = uniqueNamespace('e');
  const databases = new Map<ServiceName, Awaited<ReturnType<typeof createTestDatabase>>>();
  for (const name of ALL_SERVICES) databases.set(name, await createTestDatabase({ prefix: name }));
  const running = new Map<ServiceName, RunningService<Record<string, unknown>>>();
  const nc = await connect({ servers: infra.natsUrl });

  async function start(name: ServiceName): Promise<void> {
    if (running.has(name)) return;
    const entry = services[name];
    const env = entry.loadEnv({
      NATS_URL: infra.natsUrl,
      DATABASE_URL: databases.get(name)!.url,
      NATS_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
    running.set(name, await startService(entry.definition, env, { host: '127.0.0.1' }));
  }

  async function stop(name: ServiceName): Promise<void> {
    const r = running.get(name);
    running.delete(name);
    await r?.stop();
  }

  for (const name of options.only ?? ALL_SERVICES) await start(name);

  function url(name: ServiceName): string {
    const r = running.get(name);
    if (!r) throw new Error(`${name} is not running`);
    return r.url;
  }

  return {
    namespace,
    nc,
    publisher: createDirectPublisher(jetstream(nc), { namespace }),
    url,
    async call(name, path, init = {}) {
      const res = await fetch(`${url(name)}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, headers: res.headers, body: body as never };
    },
    start,
    stop,
    async close() {
      for (const name of [...running.keys()]) await stop(name);
      const jsm = await jetstreamManager(nc);
      for (const s of [...serviceStreams(namespace), deadLetterStream(namespace)]) await jsm.streams.delete(s.name).catch(() => {});
      await nc.close();
      for (const db of databases.values()) await db.drop();
    },
  };
}
