import { childTraceparent, runWithContext } from '@orderflow/messaging';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { CORRELATION_ID_HEADER, correlationIdFrom } from './correlation.js';
import { toHttpError } from './error-mapping.js';
import { runReadinessChecks, type ReadinessCheck } from './health.js';
import type { Logger } from './logger.js';
import { httpDurationHistogram } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's correlation id (client-supplied when valid, else generated); echoed in `X-Correlation-Id`. */
    correlationId: string;
    /** W3C traceparent of this request's span (a child of the client's, when it sent one). */
    traceparent: string;
  }
}

/** The Fastify instance services build their routes on (zod schemas for body, params, response). */
export type HttpServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  /** Service name, reported by `/health/live` so a person curling a port sees which service answers. */
  readonly service: string;
  /** The service logger; Fastify's request logs go through it, with the messaging context. */
  readonly logger: Logger;
  /** Largest accepted request body in bytes; default 1 MiB. Larger bodies get a 413. */
  readonly bodyLimit?: number;
  /**
   * Named checks for `GET /health/ready`, e.g. `{ nats: natsCheck(nc), db: dbCheck(pool) }`.
   * Default: none (ready whenever the process answers).
   */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check timeout of `/health/ready` in ms; default 2000. */
  readonly readinessTimeoutMs?: number;
  /** Registry served on `GET /metrics`; request durations are recorded in it. See `createMetricsRegistry`. */
  readonly metrics: Registry;
  /** API version shown in the OpenAPI document. */
  readonly version?: string;
}

const PROBE_LOG_LEVEL = 'warn';

/**
 * The base HTTP server of every service, before its own routes:
 *
 * - zod schemas for validation and serialization (fastify-type-provider-zod)
 * - one error handler (see `toHttpError`): 400 naming the field, 404, 409, 413, and a 500
 *   that hides its detail; unknown routes get a JSON 404
 * - `X-Correlation-Id` read (or generated) and echoed; the request runs inside a messaging
 *   context carrying it and a `traceparent`, so log lines and the events the request enqueues
 *   carry them too
 * - `GET /health/live`, `GET /health/ready`, `GET /metrics`
 *
 * Register routes on the returned instance explicitly (`buildApp(deps)` in the service).
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const readiness = options.readiness ?? {};
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2_000;
  const requestDuration = httpDurationHistogram(options.metrics);

  // Widened to Fastify's base logger so the instance is an `HttpServer` (pino's Logger is a
  // superset, but Fastify's generics are invariant in the logger type).
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // OpenAPI from the routes' zod schemas, served at /docs (UI) and /docs/json. Swagger only
  // sees routes registered after it loads: register routes inside `app.register(...)`.
  void app.register(swagger, {
    openapi: {
      info: { title: `${options.service} service`, version: options.version ?? '1.0.0' },
    },
    transform: jsonSchemaTransform,
  });
  void app.register(swaggerUi, { routePrefix: '/docs', logLevel: PROBE_LOG_LEVEL });

  app.decorateRequest('correlationId', '');
  app.decorateRequest('traceparent', '');

  // runWithContext around the rest of the request's chain rather than enterWith: the store
  // must not stick to the connection's async resource and leak into the next keep-alive
  // request. Body parsing does not lose it: Fastify resumes after the parser in the hook's
  // async context (an AsyncResource in its content-type parser), which the slow-body test over
  // a real socket checks.
  app.addHook('onRequest', (request, reply, done) => {
    request.correlationId = correlationIdFrom(request.headers[CORRELATION_ID_HEADER]);
    request.traceparent = childTraceparent(headerValue(request.headers.traceparent));
    reply.header(CORRELATION_ID_HEADER, request.correlationId);
    runWithContext({ correlationId: request.correlationId, causationId: null, traceparent: request.traceparent }, done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    requestDuration.observe(
      {
        method: request.method,
        route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err);
    if (mapped.logLevel === 'error') request.log.error({ err }, 'request failed');
    else request.log.warn({ statusCode: mapped.statusCode, error: mapped.body }, 'request rejected');
    return reply.status(mapped.statusCode).send(mapped.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    return reply.status(404).send({ error: 'NOT_FOUND', message: `no route for ${request.method} ${path}` });
  });

  app.get('/health/live', { logLevel: PROBE_LOG_LEVEL }, async () => ({ status: 'ok', service: options.service }));

  app.get('/health/ready', { logLevel: PROBE_LOG_LEVEL }, async (request, reply) => {
    const { report, failures } = await runReadinessChecks(readiness, readinessTimeoutMs);
    for (const failure of failures) {
      request.log.warn({ err: failure.error, check: failure.name, status: failure.status }, 'readiness check failed');
    }
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', { logLevel: PROBE_LOG_LEVEL }, async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.header('content-type', options.metrics.contentType).send(body);
  });

  return app;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Registers a service's routes in their own plugin, after the OpenAPI plugin, so they appear
 * in /docs, with the zod type provider kept.
 */
export function registerRoutes(app: HttpServer, routes: (r: HttpServer) => void | Promise<void>): void {
  void app.register(async (instance) => {
    await routes(instance.withTypeProvider<ZodTypeProvider>());
  });
}
