import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { currentContext, parseTraceparent, type MessageContext } from '@orderflow/messaging';
import { createTestDatabase, testInfra, type TestDatabase } from '@orderflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  createDb,
  createHttpServer,
  createLogger,
  createMetricsRegistry,
  dbCheck,
  natsCheck,
  NotFoundError,
  ValidationError,
  type DbHandle,
  type ErrorBody,
  type HttpServer,
  type ReadinessCheck,
} from '../src/index.js';

interface EchoBody {
  context: MessageContext | null;
  requestCorrelationId: string;
  body: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const orderBodySchema = z.object({
  customerId: z.string().min(1),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
});

/** A service-shaped app: the kit's base plus a few sample routes. */
function buildApp(options: { readiness?: Record<string, ReadinessCheck>; lines?: Record<string, unknown>[] } = {}): HttpServer {
  const lines = options.lines ?? [];
  const logger = createLogger({ service: 'sample', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
  const app = createHttpServer({
    service: 'sample',
    logger,
    metrics: createMetricsRegistry('sample'),
    readiness: options.readiness ?? {},
    readinessTimeoutMs: 300,
  });
  app.post(
    '/orders',
    { schema: { body: orderBodySchema, response: { 202: z.object({ accepted: z.number(), correlationId: z.string() }) } } },
    async (request, reply) => {
      await sleep(5);
      logger.info('order accepted');
      return reply.status(202).send({ accepted: request.body.items.length, correlationId: currentContext()?.correlationId ?? 'none' });
    },
  );
  app.post('/echo-context', async (request) => {
    // Several async hops, as a use case with a transaction would make.
    await sleep(5);
    await new Promise((resolve) => setImmediate(resolve));
    return { context: currentContext() ?? null, requestCorrelationId: request.correlationId, body: request.body };
  });
  app.get('/orders/:id', { schema: { params: z.object({ id: z.uuid() }) } }, async (request) => {
    throw new NotFoundError(`order ${request.params.id} not found`);
  });
  app.post('/orders/:id/cancel', async () => {
    throw new ConflictError('order can no longer be cancelled');
  });
  app.post('/rules', async () => {
    throw new ValidationError('quantity above the per-order limit', { field: 'items.0.quantity' });
  });
  app.get('/boom', async () => {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2');
  });
  return app;
}

describe('createHttpServer', () => {
  let database: TestDatabase;
  let handle: DbHandle<Record<string, never>>;
  let nc: NatsConnection;
  let app: HttpServer;
  let listening: Promise<string> | undefined;
  /** The app's address on a real socket (listens on first use). */
  const serverAddress = () => (listening ??= app.listen({ port: 0, host: '127.0.0.1' }));

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'kit_http' });
    handle = createDb(database.url, { max: 2 });
    nc = await connect({ servers: testInfra().natsUrl });
    app = buildApp({ readiness: { nats: natsCheck(nc), db: dbCheck(handle.pool) } });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    if (!nc.isClosed()) await nc.close();
    await handle.close();
    await database.drop();
  });

  describe('health', () => {
    it('live is 200', async () => {
      const res = await app.inject({ method: 'GET', url: '/health/live' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', service: 'sample' });
    });

    it('ready is 200 while NATS and Postgres answer', async () => {
      const res = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', checks: { nats: 'ok', db: 'ok' } });
    });

    it('ready is 503 naming a check that hangs past the timeout', async () => {
      const slow = buildApp({ readiness: { db: dbCheck(handle.pool), search: () => new Promise<void>(() => {}) } });
      const res = await slow.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', checks: { db: 'ok', search: 'timeout' } });
      await slow.close();
    });

    it('ready turns 503 when the pool is ended, then when the NATS connection is closed', async () => {
      const ownDb = createDb(database.url, { max: 1 });
      const ownNc = await connect({ servers: testInfra().natsUrl });
      const probed = buildApp({ readiness: { nats: natsCheck(ownNc), db: dbCheck(ownDb.pool) } });
      try {
        expect((await probed.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);

        await ownDb.close();
        const noDb = await probed.inject({ method: 'GET', url: '/health/ready' });
        expect(noDb.statusCode).toBe(503);
        expect(noDb.json()).toEqual({ status: 'unavailable', checks: { nats: 'ok', db: 'failed' } });

        await ownNc.close();
        const nothing = await probed.inject({ method: 'GET', url: '/health/ready' });
        expect(nothing.statusCode).toBe(503);
        expect(nothing.json()).toEqual({ status: 'unavailable', checks: { nats: 'failed', db: 'failed' } });
      } finally {
        await probed.close();
        if (!ownNc.isClosed()) await ownNc.close();
        await ownDb.close();
      }
    });
  });

  describe('correlation id and context', () => {
    it('echoes a valid X-Correlation-Id and exposes it to the async handler', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/echo-context',
        headers: { 'x-correlation-id': 'checkout-7f3a' },
        payload: { hello: 'world' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-correlation-id']).toBe('checkout-7f3a');
      const body = res.json<EchoBody>();
      expect(body.context).toMatchObject({ correlationId: 'checkout-7f3a', causationId: null });
      expect(body.requestCorrelationId).toBe('checkout-7f3a');
      expect(parseTraceparent(body.context?.traceparent)).toBeDefined();
    });

    it('replaces a missing or invalid id with a UUID', async () => {
      for (const headers of [{}, { 'x-correlation-id': 'bad id with spaces' }, { 'x-correlation-id': 'x'.repeat(201) }]) {
        const res = await app.inject({ method: 'POST', url: '/echo-context', headers, payload: {} });
        const id = res.headers['x-correlation-id'];
        expect(id).toMatch(UUID);
        expect(res.json().context.correlationId).toBe(id);
      }
    });

    it('continues the caller trace from traceparent', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await app.inject({
        method: 'POST',
        url: '/echo-context',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        payload: {},
      });
      const span = parseTraceparent(res.json<EchoBody>().context?.traceparent);
      expect(span?.traceId).toBe(traceId);
      expect(span?.spanId).not.toBe('00f067aa0ba902b7');
    });

    it('keeps each request in its own context over a real socket, with bodies and keep-alive', async () => {
      const address = await serverAddress();
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${address}/echo-context`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-correlation-id': `flow-${i}` },
            body: JSON.stringify({ i, padding: 'x'.repeat(200_000) }),
          });
          const body = (await res.json()) as { context: { correlationId: string } | null; body: { i: number } };
          return { i, seen: body.context?.correlationId, echoed: body.body.i };
        }),
      );
      for (const r of results) expect(r).toEqual({ i: r.i, seen: `flow-${r.i}`, echoed: r.i });
    });

    it('keeps the context across a body that arrives slowly, in chunks, on one keep-alive socket', async () => {
      const address = new URL(await serverAddress());
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const post = (i: number) =>
        new Promise<string>((resolve, reject) => {
          const req = http.request(
            {
              host: address.hostname,
              port: address.port,
              path: '/echo-context',
              method: 'POST',
              agent,
              headers: { 'content-type': 'application/json', 'x-correlation-id': `slow-${i}` },
            },
            (res) => {
              let data = '';
              res.on('data', (chunk: Buffer) => (data += chunk.toString()));
              res.on('end', () => resolve(data));
            },
          );
          req.on('error', reject);
          req.write('{"i":');
          setTimeout(() => req.end(`${i}}`), 50);
        });
      try {
        for (const i of [0, 1, 2]) {
          const body = JSON.parse(await post(i)) as { context: { correlationId: string } | null; body: { i: number } };
          expect(body).toMatchObject({ context: { correlationId: `slow-${i}` }, body: { i } });
        }
      } finally {
        agent.destroy();
      }
    });

    it('stamps the correlation id on log lines written by the handler', async () => {
      const lines: Record<string, unknown>[] = [];
      const logged = buildApp({ lines });
      await logged.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'x-correlation-id': 'log-me' },
        payload: { customerId: 'c', items: [{ sku: 'A', quantity: 1 }] },
      });
      expect(lines.find((l) => l['msg'] === 'order accepted')).toMatchObject({ service: 'sample', correlationId: 'log-me' });
      await logged.close();
    });
  });

  describe('errors', () => {
    it('validates the body with zod and returns 400 naming the field', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: { customerId: 'c-1', items: [{ sku: 'SKU-1', quantity: 0 }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      const body = res.json();
      expect(body.error).toBe('VALIDATION_FAILED');
      expect(body.message).toContain('items.0.quantity');
      expect(body.issues).toEqual([{ path: 'items.0.quantity', message: expect.any(String) }]);
    });

    it('names a missing field and bad params', async () => {
      const missing = await app.inject({ method: 'POST', url: '/orders', payload: { items: [{ sku: 'A', quantity: 1 }] } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json<ErrorBody>().issues?.map((i) => i.path)).toEqual(['customerId']);
      const params = await app.inject({ method: 'GET', url: '/orders/not-a-uuid' });
      expect(params.statusCode).toBe(400);
      expect(params.json()).toMatchObject({ error: 'VALIDATION_FAILED', issues: [{ path: 'id' }] });
    });

    it('accepts a valid body', async () => {
      const res = await app.inject({ method: 'POST', url: '/orders', headers: { 'x-correlation-id': 'ok-1' }, payload: { customerId: 'c', items: [{ sku: 'A', quantity: 2 }] } });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ accepted: 1, correlationId: 'ok-1' });
    });

    it('rejects invalid JSON with 400', async () => {
      const res = await app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: '{"customerId": ' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'INVALID_JSON' });
    });

    it('rejects a body over 1 MiB with 413', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ customerId: 'x'.repeat(1024 * 1024), items: [] }),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    });

    it('maps NotFoundError, ConflictError and ValidationError', async () => {
      const notFound = await app.inject({ method: 'GET', url: '/orders/7d444840-9dc0-41d2-9d6c-3f1a4a8a7d3e' });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json()).toEqual({ error: 'NOT_FOUND', message: 'order 7d444840-9dc0-41d2-9d6c-3f1a4a8a7d3e not found' });
      const conflict = await app.inject({ method: 'POST', url: '/orders/x/cancel' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toEqual({ error: 'CONFLICT', message: 'order can no longer be cancelled' });
      const rule = await app.inject({ method: 'POST', url: '/rules' });
      expect(rule.statusCode).toBe(400);
      expect(rule.json()).toMatchObject({ issues: [{ path: 'items.0.quantity' }] });
    });

    it('answers an unknown route with a JSON 404 that still carries the correlation id', async () => {
      const res = await app.inject({ method: 'GET', url: '/nope?x=1', headers: { 'x-correlation-id': 'lost-1' } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'NOT_FOUND', message: 'no route for GET /nope' });
      expect(res.headers['x-correlation-id']).toBe('lost-1');
    });

    it('hides the detail of a 500 from the client and logs it in full', async () => {
      const lines: Record<string, unknown>[] = [];
      const logged = buildApp({ lines });
      const res = await logged.inject({ method: 'GET', url: '/boom', headers: { 'x-correlation-id': 'boom-1' } });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'INTERNAL', message: 'internal error' });
      expect(res.body).not.toContain('hunter2');
      const logLine = lines.find((l) => l['level'] === 50);
      expect(JSON.stringify(logLine)).toContain('ECONNREFUSED 10.1.2.3');
      expect((logLine?.['err'] as { stack?: string }).stack).toContain('http.int.test.ts');
      await logged.close();
    });
  });

  describe('metrics', () => {
    it('serves Prometheus text with the request duration histogram by route pattern', async () => {
      await app.inject({ method: 'GET', url: '/orders/7d444840-9dc0-41d2-9d6c-3f1a4a8a7d3e' });
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('# TYPE http_request_duration_seconds histogram');
      expect(res.body).toMatch(/http_request_duration_seconds_count\{(?=[^}]*route="\/orders\/:id")(?=[^}]*status_code="404")(?=[^}]*method="GET")[^}]*\} \d+/);
      expect(res.body).not.toContain('7d444840');
      expect(res.body).toContain('nodejs_eventloop_lag_seconds{service="sample"}');
    });
  });
});
