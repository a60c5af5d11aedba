export { parseEnv, EnvError, baseEnvSchema, portSchema, logLevelSchema, postgresUrlSchema } from './env.js';
export { createLogger } from './logger.js';
export { createDb, ensureDatabase, databaseUrlFor, isPgError, lockOrder, lockOrders, lockOrdersStatement, lockAndReadOrders, lockAndReadOrdersReads, readUnderOrderLocks, arrayParam, renderSql, rowsOf } from './db.js';
export { runMigrations } from './migrate.js';
export {
  ValidationError,
  NotFoundError,
  ConflictError,
  isValidationError,
  isNotFoundError,
  isConflictError,
} from './errors.js';
export { toHttpError } from './error-mapping.js';
export { CORRELATION_ID_HEADER, correlationIdFrom, isValidCorrelationId } from './correlation.js';
export { createHttpServer, registerRoutes } from './http.js';
export { natsCheck, dbCheck, runReadinessChecks } from './health.js';
export {
  createMetricsRegistry,
  createMessagingMetrics,
  httpDurationHistogram,
  HTTP_DURATION_METRIC,
} from './metrics.js';
export { onShutdown } from './shutdown.js';
export { startService } from './service.js';
export { orderPlacedBatches, placedOnly, placedOrderReads } from './placed-batch.js';

export type { BaseEnv, EnvSource } from './env.js';
export type { Logger, CreateLoggerOptions } from './logger.js';
export type { Db, Tx, CreateDbOptions, DbHandle, OrderStatesRead } from './db.js';
export type { MigrationSet, RunMigrationsOptions } from './migrate.js';
export type { ValidationIssue, KitErrorOptions, ValidationErrorOptions } from './errors.js';
export type { ErrorBody, HttpErrorResponse } from './error-mapping.js';
export type { HttpServer, HttpServerOptions } from './http.js';
export type { ReadinessCheck, CheckStatus, ReadinessReport, FlushableConnection, CheckFailure } from './health.js';
export type { ServiceDeps, ConsumerSpec, ServiceDefinition, StartOptions, RunningService, WriteSpec } from './service.js';
export type { ShutdownStep, ShutdownOptions, TriggerShutdown } from './shutdown.js';
