import { containerRuntimeAvailable, startNatsContainer, startPostgresContainer } from './containers.js';
import { readTestkitEnv, type InfraKind, type TestkitEnv } from './env.js';
import { startLocalNatsServer } from './nats-server.js';
import { startLocalPostgres } from './local-postgres.js';

/** NATS (JetStream on) and a Postgres admin URL for one test run. */
export interface Infra {
  readonly natsUrl: string;
  /** Superuser URL of the `postgres` database; tests create their own databases from it. */
  readonly adminDatabaseUrl: string;
  /** Where each server came from. */
  readonly kind: { readonly nats: InfraKind; readonly postgres: InfraKind };
  /** Stops what startInfra started (nothing for `env`). Idempotent. */
  stop(): Promise<void>;
}

interface Started<K extends string> {
  readonly kind: InfraKind;
  readonly value: Record<K, string>;
  stop(): Promise<void>;
}

/**
 * Starts (or finds) NATS and Postgres. For each one independently: its env URL (`NATS_URL`,
 * `DATABASE_URL`) when set, else a container when a Docker engine answers, else a local
 * server (`nats-server` on PATH, embedded Postgres) — also when a container does not start
 * (an engine with no registry to pull from). `TESTKIT_MODE=env|containers|local` forces one
 * source for both.
 */
export async function startInfra(): Promise<Infra> {
  const env = readTestkitEnv();
  const [nats, postgres] = await Promise.allSettled([startNats(env), startPostgres(env)]);
  if (nats.status === 'rejected' || postgres.status === 'rejected') {
    // Don't leak the half that did start.
    await Promise.allSettled([nats, postgres].map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())));
    const errors = [nats, postgres].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length === 1) throw errors[0];
    const reasons = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    throw new AggregateError(errors, `could not start NATS and Postgres: ${reasons}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    natsUrl: nats.value.value.natsUrl,
    adminDatabaseUrl: postgres.value.value.adminDatabaseUrl,
    kind: { nats: nats.value.kind, postgres: postgres.value.kind },
    stop() {
      stopping ??= Promise.all([nats.value.stop(), postgres.value.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

type Source = { readonly kind: 'env'; readonly url: string } | { readonly kind: 'containers' | 'local' };

async function chooseSource(env: TestkitEnv, envUrl: string | undefined, envName: string): Promise<Source> {
  switch (env.mode) {
    case 'env':
      if (envUrl === undefined) throw new Error(`TESTKIT_MODE=env but ${envName} is not set`);
      return { kind: 'env', url: envUrl };
    case 'containers':
      if (!(await containerRuntimeAvailable())) {
        throw new Error('TESTKIT_MODE=containers but no container runtime (Docker, Podman) answers');
      }
      return { kind: 'containers' };
    case 'local':
      return { kind: 'local' };
    case undefined:
      if (envUrl !== undefined) return { kind: 'env', url: envUrl };
      return { kind: (await containerRuntimeAvailable()) ? 'containers' : 'local' };
    default: {
      const unreachable: never = env.mode;
      return unreachable;
    }
  }
}

async function startNats(env: TestkitEnv): Promise<Started<'natsUrl'>> {
  const source = await chooseSource(env, env.natsUrl, 'NATS_URL');
  switch (source.kind) {
    case 'env':
      return { kind: 'env', value: { natsUrl: source.url }, stop: async () => undefined };
    case 'containers':
      return containerOrLocal(env, 'NATS', env.natsImage, async () => {
        const { url, container } = await startNatsContainer({ image: env.natsImage, jetstream: true });
        return { kind: 'containers', value: { natsUrl: url }, stop: async () => void (await container.stop()) };
      }, localNats);
    case 'local':
      return localNats();
  }
}

async function localNats(): Promise<Started<'natsUrl'>> {
  const server = await startLocalNatsServer({ jetstream: true });
  return { kind: 'local', value: { natsUrl: server.url }, stop: () => server.destroy() };
}

/**
 * A container, or the local server when it does not start (an engine that answers but cannot
 * pull: no registry, as on air-gapped machines) — unless TESTKIT_MODE=containers asked for it.
 */
async function containerOrLocal<K extends string>(
  env: TestkitEnv,
  what: string,
  image: string,
  container: () => Promise<Started<K>>,
  local: () => Promise<Started<K>>,
): Promise<Started<K>> {
  try {
    return await container();
  } catch (err) {
    if (env.mode === 'containers') throw err;
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    process.stderr.write(`testkit: the ${what} container (${image}) did not start (${reason}); using a local server instead\n`);
    return local();
  }
}

async function startPostgres(env: TestkitEnv): Promise<Started<'adminDatabaseUrl'>> {
  const source = await chooseSource(env, env.databaseUrl, 'DATABASE_URL');
  switch (source.kind) {
    case 'env':
      return { kind: 'env', value: { adminDatabaseUrl: source.url }, stop: async () => undefined };
    case 'containers':
      return containerOrLocal(env, 'Postgres', env.postgresImage, async () => {
        const { adminUrl, container } = await startPostgresContainer({ image: env.postgresImage });
        return { kind: 'containers', value: { adminDatabaseUrl: adminUrl }, stop: async () => void (await container.stop()) };
      }, localPostgres);
    case 'local':
      return localPostgres();
  }
}

async function localPostgres(): Promise<Started<'adminDatabaseUrl'>> {
  const cluster = await startLocalPostgres();
  return { kind: 'local', value: { adminDatabaseUrl: cluster.adminUrl }, stop: () => cluster.stop() };
}
