import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** A client that keeps reconnecting quickly, as a service would across a NATS restart. */
export function connectNats(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5_000 });
}

export async function createStream(nc: NatsConnection, name: string, subject: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [subject] });
}

export async function publish(nc: NatsConnection, subject: string, count: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < count; i += 1) await js.publish(subject, `m${i}`);
}

export async function streamMessages(nc: NatsConnection, name: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(name)).state.messages;
}

export async function deleteStream(nc: NatsConnection, name: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(name);
}
