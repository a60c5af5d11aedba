import { connect, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether `port` can be bound on `host` right now (nothing listens there). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the OS calls free on `host` a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free on `host`, else a free port from the OS. */
export async function preferredOrFreePort(preferred: number, host = '127.0.0.1'): Promise<{ port: number; preferredTaken: boolean }> {
  if (await isPortFree(preferred, host)) return { port: preferred, preferredTaken: false };
  return { port: await freePort(host), preferredTaken: true };
}

/** Opens and closes a TCP connection; resolves with the error message, or undefined when it connected. */
export function tryConnect(host: string, port: number, timeoutMs = 3_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(err.message));
  });
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Stops the wait early (Ctrl-C, a crashed process): the reason is thrown. */
  readonly signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns undefined (ready) or the time runs out. `probe` returns why it
 * is not ready yet; the last reason goes into the timeout error.
 */
export async function waitUntil(what: string, probe: () => Promise<string | undefined>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const problem = await probe();
    if (problem === undefined) return;
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${Math.round(options.timeoutMs / 1000)} s (last: ${problem})`);
    await sleep(options.intervalMs ?? 100);
  }
}

/** A probe for {@link waitUntil}: `url` answers 2xx. */
export function httpOk(url: string): () => Promise<string | undefined> {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        await response.body?.cancel();
        return undefined;
      }
      return `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return `${error instanceof Error ? error.message : String(error)}${cause}`;
    }
  };
}
