import type * as TestcontainersModule from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';

// testcontainers is imported lazily: it is heavy, and a machine without Docker should not pay
// for it (or its side effects) when env URLs or local binaries are used.
type Testcontainers = typeof TestcontainersModule;

const DOCKER_PROBE_TIMEOUT_MS = 5_000;
const POSTGRES_PASSWORD = 'postgres';

/** Server settings for test clusters (containers and embedded): fast, not durable, roomy. */
export const POSTGRES_TEST_SETTINGS: readonly string[] = [
  '-c', 'fsync=off',
  '-c', 'synchronous_commit=off',
  '-c', 'full_page_writes=off',
  // Every test file opens its own pools; the default 100 runs out in a full suite.
  '-c', 'max_connections=300',
];

let probe: Promise<boolean> | undefined;

/**
 * Whether a container runtime answers. testcontainers tries its usual strategies (DOCKER_HOST,
 * the default sockets, Docker Desktop, Podman, ...); with none present it fails in well under
 * a second, and the timeout guards against a socket that accepts but never answers.
 */
export function containerRuntimeAvailable(): Promise<boolean> {
  probe ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await loadTestcontainers();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('container runtime probe timed out')), DOCKER_PROBE_TIMEOUT_MS);
      });
      try {
        await Promise.race([getContainerRuntimeClient(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return true;
    } catch {
      return false;
    }
  })();
  return probe;
}

export function loadTestcontainers(): Promise<Testcontainers> {
  return import('testcontainers');
}

export interface NatsContainer {
  readonly url: string;
  readonly port: number;
  readonly container: StartedTestContainer;
}

/**
 * NATS in a container. `hostPort`/`monitorHostPort` pin the host side of the mappings so the
 * URLs survive a container restart (Docker may hand out new random ports otherwise).
 */
export async function startNatsContainer(options: {
  image: string;
  jetstream: boolean;
  hostPort?: number;
  monitorHostPort?: number;
}): Promise<NatsContainer> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  const command = ['-m', '8222'];
  if (options.jetstream) command.push('-js', '-sd', '/data');
  const container = await new GenericContainer(options.image)
    .withCommand(command)
    .withExposedPorts(
      options.hostPort === undefined ? 4222 : { container: 4222, host: options.hostPort },
      options.monitorHostPort === undefined ? 8222 : { container: 8222, host: options.monitorHostPort },
    )
    // /healthz answers 200 only once JetStream is ready, which the log line alone does not promise.
    .withWaitStrategy(Wait.forHttp('/healthz', 8222).forStatusCode(200))
    .start();
  const port = container.getMappedPort(4222);
  return { url: `nats://${container.getHost()}:${port}`, port, container };
}

export interface PostgresContainer {
  readonly adminUrl: string;
  readonly container: StartedTestContainer;
}

export async function startPostgresContainer(options: { image: string }): Promise<PostgresContainer> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  const container = await new GenericContainer(options.image)
    .withEnvironment({ POSTGRES_PASSWORD, POSTGRES_USER: 'postgres', POSTGRES_DB: 'postgres' })
    // Durability is worthless for throwaway test data and costs a lot of time.
    .withCommand(['postgres', ...POSTGRES_TEST_SETTINGS])
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withExposedPorts(5432)
    // Same check as @testcontainers/postgresql: the init-time server listens on the socket only,
    // so a query over 127.0.0.1 succeeds only on the real server.
    .withHealthCheck({
      test: ['CMD-SHELL', `PGPASSWORD=${POSTGRES_PASSWORD} psql -q -U postgres -d postgres -c "SELECT 1" -h 127.0.0.1`],
      interval: 250,
      timeout: 1_000,
      retries: 1_000,
    })
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  const adminUrl = `postgres://postgres:${POSTGRES_PASSWORD}@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { adminUrl, container };
}
