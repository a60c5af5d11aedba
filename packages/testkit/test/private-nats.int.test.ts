import { access } from 'node:fs/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { findNatsServer } from '../src/nats-server.js';
import { eventually, startPrivateNats, uniqueNamespace, type PrivateNats } from '../src/index.js';
import { connectNats, createStream, publish, streamMessages } from './nats-helpers.js';

// Only a local server's store dir is on this machine; a container's lives inside it.
const localServer = (await findNatsServer()) !== undefined;

/** Records the connection's status events (disconnect, reconnect, ...). */
function watchStatus(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const status of nc.status()) seen.push(status.type);
  })();
  return seen;
}

describe('startPrivateNats', () => {
  let server: PrivateNats | undefined;
  let nc: NatsConnection | undefined;

  afterEach(async () => {
    await nc?.close();
    await server?.stop();
    nc = undefined;
    server = undefined;
  });

  it('restart() comes back on the same URL with the JetStream data, and clients reconnect', async () => {
    server = await startPrivateNats();
    const { url, port } = server;
    expect(url).toBe(`nats://127.0.0.1:${port}`);
    nc = await connectNats(url);
    const seen = watchStatus(nc);
    const ns = uniqueNamespace();
    await createStream(nc, ns, `${ns}.>`);
    await publish(nc, `${ns}.a`, 3);

    await server.restart({ downMs: 300 });
    expect(server.url).toBe(url);
    // A JetStream API request sent before the client notices the outage waits out its
    // timeout; wait for the reconnect as a service's health check would.
    await eventually(() => seen.includes('reconnect'), { message: 'client reconnected' });
    expect(seen).toContain('disconnect');
    expect(await streamMessages(nc, ns)).toBe(3);
  });

  it('kill() is a crash: the server is down until restart(), and the stream survives', async () => {
    server = await startPrivateNats();
    nc = await connectNats(server.url);
    const seen = watchStatus(nc);
    const ns = uniqueNamespace();
    await createStream(nc, ns, `${ns}.>`);
    await publish(nc, `${ns}.a`, 5);

    await server.kill();
    await expect(connectNats(server.url)).rejects.toThrow();

    await server.restart();
    await eventually(() => seen.includes('reconnect'), { message: 'client reconnected' });
    expect(await streamMessages(nc, ns)).toBe(5);
    await publish(nc, `${ns}.b`, 1);
    expect(await streamMessages(nc, ns)).toBe(6);
  });

  it.runIf(localServer)('stop() is final and removes the store dir', async () => {
    server = await startPrivateNats();
    const { storeDir } = server;
    await access(storeDir);
    await server.stop();
    await expect(access(storeDir)).rejects.toThrow();
    await expect(server.restart()).rejects.toThrow(/stopped for good/);
  });

  it('can run without JetStream', async () => {
    server = await startPrivateNats({ jetstream: false });
    nc = await connectNats(server.url);
    await expect(streamMessages(nc, 'none')).rejects.toThrow();
  });
});
