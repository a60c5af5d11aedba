import { createServer, type AddressInfo, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `count` distinct TCP ports that were free a moment ago. All are held open together so the
 * OS cannot hand out one port twice. Another process can still take one before the caller
 * binds it; acceptable for tests, and the servers started with it fail loudly if that happens.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
}

/** Polls an HTTP endpoint until it answers 2xx, `abort()` says to give up, or the timeout passes. */
export async function waitForHttpOk(
  url: string,
  options: { timeoutMs: number; abort?: () => Error | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer';
  for (;;) {
    const aborted = options.abort?.();
    if (aborted !== undefined) throw aborted;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${options.timeoutMs} ms (last: ${last})`);
    await sleep(50);
  }
}
