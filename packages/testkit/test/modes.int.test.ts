import { connect as tcpConnect } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { containerRuntimeAvailable, startNatsContainer } from '../src/containers.js';
import { readTestkitEnv } from '../src/env.js';
import { startInfra, testInfra, uniqueNamespace } from '../src/index.js';
import { connectNats, createStream, deleteStream, publish, streamMessages } from './nats-helpers.js';

const dockerAvailable = await containerRuntimeAvailable();
/** An engine that answers may still have no registry to pull from (air-gapped): try one container. */
const containersWork =
  dockerAvailable &&
  (await startNatsContainer({ image: readTestkitEnv().natsImage, jetstream: true }).then(
    async ({ container }) => {
      await container.stop();
      return true;
    },
    () => false,
  ));

async function checkNats(url: string): Promise<void> {
  const nc = await connectNats(url);
  try {
    const ns = uniqueNamespace();
    await createStream(nc, ns, `${ns}.>`);
    await publish(nc, `${ns}.a`, 1);
    expect(await streamMessages(nc, ns)).toBe(1);
    await deleteStream(nc, ns);
  } finally {
    await nc.close();
  }
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await client.end();
  }
}

function portAccepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function clearInfraEnv(): void {
  vi.stubEnv('NATS_URL', '');
  vi.stubEnv('DATABASE_URL', '');
  vi.stubEnv('TESTKIT_MODE', '');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('startInfra', () => {
  it('falls back to local servers when a container cannot start (an image no registry has)', async () => {
    clearInfraEnv();
    vi.stubEnv('TESTKIT_NATS_IMAGE', 'orderflow.invalid/no-such-nats:0');
    vi.stubEnv('TESTKIT_POSTGRES_IMAGE', 'orderflow.invalid/no-such-postgres:0');
    const infra = await startInfra();
    try {
      // With a Docker engine the pull fails and it falls back; without one it is local anyway.
      expect(infra.kind).toEqual({ nats: 'local', postgres: 'local' });
      await checkNats(infra.natsUrl);
      await checkPostgres(infra.adminDatabaseUrl);
    } finally {
      await infra.stop();
    }
  }, 240_000);

  it('uses NATS_URL and DATABASE_URL as they are, and stop() leaves them running', async () => {
    const { natsUrl, adminDatabaseUrl } = testInfra();
    clearInfraEnv();
    vi.stubEnv('NATS_URL', natsUrl);
    vi.stubEnv('DATABASE_URL', adminDatabaseUrl);
    const infra = await startInfra();
    expect(infra.kind).toEqual({ nats: 'env', postgres: 'env' });
    expect(infra.natsUrl).toBe(natsUrl);
    expect(infra.adminDatabaseUrl).toBe(adminDatabaseUrl);
    await infra.stop();
    await checkNats(natsUrl);
    await checkPostgres(adminDatabaseUrl);
  });

  it('TESTKIT_MODE=local starts nats-server and embedded Postgres, and stop() removes them', async () => {
    clearInfraEnv();
    // Set on purpose: a forced mode wins over the env URLs.
    vi.stubEnv('NATS_URL', testInfra().natsUrl);
    vi.stubEnv('TESTKIT_MODE', 'local');
    const infra = await startInfra();
    try {
      expect(infra.kind).toEqual({ nats: 'local', postgres: 'local' });
      expect(infra.natsUrl).not.toBe(testInfra().natsUrl);
      await checkNats(infra.natsUrl);
      await checkPostgres(infra.adminDatabaseUrl);
    } finally {
      await infra.stop();
    }
    expect(await portAccepts(infra.natsUrl)).toBe(false);
    expect(await portAccepts(infra.adminDatabaseUrl)).toBe(false);
    await infra.stop(); // idempotent
  });

  it('picks each server independently', async () => {
    clearInfraEnv();
    vi.stubEnv('NATS_URL', testInfra().natsUrl);
    const infra = await startInfra();
    try {
      expect(infra.kind.nats).toBe('env');
      expect(infra.kind.postgres).toBe(containersWork ? 'containers' : 'local');
      await checkPostgres(infra.adminDatabaseUrl);
    } finally {
      await infra.stop();
    }
  });

  it('rejects a forced mode it cannot honour, naming the fix', async () => {
    clearInfraEnv();
    vi.stubEnv('TESTKIT_MODE', 'env');
    vi.stubEnv('NATS_URL', testInfra().natsUrl);
    await expect(startInfra()).rejects.toThrow(/DATABASE_URL is not set/);

    vi.stubEnv('TESTKIT_MODE', 'docker');
    await expect(startInfra()).rejects.toThrow(/TESTKIT_MODE must be one of env, containers, local/);
  });

  it.skipIf(dockerAvailable)('TESTKIT_MODE=containers fails fast without a container runtime', async () => {
    clearInfraEnv();
    vi.stubEnv('TESTKIT_MODE', 'containers');
    const started = Date.now();
    await expect(startInfra()).rejects.toThrow(/no container runtime/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.runIf(containersWork)(
    'TESTKIT_MODE=containers starts NATS and Postgres containers',
    async () => {
      clearInfraEnv();
      vi.stubEnv('TESTKIT_MODE', 'containers');
      const infra = await startInfra();
      try {
        expect(infra.kind).toEqual({ nats: 'containers', postgres: 'containers' });
        await checkNats(infra.natsUrl);
        await checkPostgres(infra.adminDatabaseUrl);
      } finally {
        await infra.stop();
      }
    },
    180_000,
  );
});
