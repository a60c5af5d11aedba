import { setTimeout as sleep } from 'node:timers/promises';
import { containerRuntimeAvailable, loadTestcontainers, startNatsContainer } from './containers.js';
import { readTestkitEnv } from './env.js';
import { findNatsServer, startLocalNatsServer } from './nats-server.js';
import { freePorts, waitForHttpOk } from './net.js';

const CONTAINER_STOP_TIMEOUT_MS = 10_000;
const CONTAINER_START_TIMEOUT_MS = 30_000;

export interface PrivateNatsOptions {
  /** Start with JetStream enabled (default true). */
  readonly jetstream?: boolean;
}

export interface RestartOptions {
  /** How long the server stays down between stop and start (default 0). */
  readonly downMs?: number;
}

/** A NATS server owned by one test, for outage and restart scenarios. */
export interface PrivateNats {
  /** Stays the same across restart() and kill(). */
  readonly url: string;
  readonly port: number;
  /**
   * The JetStream store dir. For a local server a path on this machine; for a container, the
   * path inside it (`/data`). It survives restart() and kill(); stop() deletes it.
   */
  readonly storeDir: string;
  /** Stops the server for good and removes its data. Idempotent. */
  stop(): Promise<void>;
  /**
   * Graceful stop (JetStream flushes its store), an optional pause, then a start on the same
   * URL and store dir. After kill() it only starts the server again (crash recovery).
   * Resolves once the server (and JetStream) answers health checks.
   */
  restart(options?: RestartOptions): Promise<void>;
  /** SIGKILL, like a crash or power cut of the process; the server stays down until restart(). */
  kill(): Promise<void>;
}

/**
 * Starts a NATS server that only this test talks to: the local `nats-server` binary when it
 * is on PATH (unless TESTKIT_MODE=containers), else a container. Clients connected to it see
 * real disconnects on restart()/kill(), which a shared server cannot offer.
 */
export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateNats> {
  const jetstream = options.jetstream ?? true;
  const env = readTestkitEnv();
  if (env.mode !== 'containers' && (await findNatsServer()) !== undefined) {
    return startLocal(jetstream);
  }
  if (await containerRuntimeAvailable()) return startContainer(env.natsImage, jetstream);
  throw new Error(
    env.mode === 'containers'
      ? 'TESTKIT_MODE=containers but no container runtime (Docker, Podman) answers'
      : 'startPrivateNats needs nats-server on PATH (apt-get install nats-server) or a Docker engine',
  );
}

async function startLocal(jetstream: boolean): Promise<PrivateNats> {
  const server = await startLocalNatsServer({ jetstream });
  return {
    url: server.url,
    port: server.port,
    storeDir: server.storeDir,
    stop: () => server.destroy(),
    async restart({ downMs = 0 } = {}) {
      await server.shutdown();
      if (downMs > 0) await sleep(downMs);
      await server.start();
    },
    kill: () => server.kill(),
  };
}

async function startContainer(image: string, jetstream: boolean): Promise<PrivateNats> {
  // Fixed host ports: Docker would otherwise pick new ones when the container starts again.
  const [hostPort, monitorHostPort] = (await freePorts(2)) as [number, number];
  const { url, port, container } = await startNatsContainer({
    image,
    jetstream,
    hostPort,
    monitorHostPort,
  });
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  const healthz = `http://${container.getHost()}:${monitorHostPort}/healthz`;
  let running = true;
  let stopped = false;

  return {
    url,
    port,
    storeDir: '/data',
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    async restart({ downMs = 0 } = {}) {
      if (stopped) throw new Error('this NATS container was stopped for good');
      if (running) await client.container.stop(handle, { timeout: CONTAINER_STOP_TIMEOUT_MS });
      running = false;
      if (downMs > 0) await sleep(downMs);
      await client.container.start(handle);
      running = true;
      await waitForHttpOk(healthz, { timeoutMs: CONTAINER_START_TIMEOUT_MS });
    },
    async kill() {
      if (!running) return;
      await handle.kill({ signal: 'SIGKILL' });
      await handle.wait();
      running = false;
    },
  };
}
