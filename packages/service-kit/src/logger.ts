import { hostname } from 'node:os';
import { currentContext } from '@orderflow/messaging';
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilentOrString, type LoggerOptions } from 'pino';

/** The service logger (pino). Pass it to Fastify, the messaging layer and shutdown. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Service name, on every line so logs of five services can share one sink. */
  readonly service: string;
  /** Minimum level; default `info`. */
  readonly level?: LevelWithSilentOrString;
  /** Where lines go; default stdout. Tests pass a stream to capture them. */
  readonly destination?: DestinationStream;
}

/**
 * A JSON logger whose every line carries `service` and, when set, the `correlationId`,
 * `causationId` and `eventId` of the current messaging context (the HTTP request or the
 * message being handled). The context is read per line through pino's `mixin`, so ids reach
 * lines written deep inside a use case without being passed around. Fields given explicitly in
 * a log call win over the context's.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const ctx = currentContext();
      if (ctx === undefined) return {};
      const fields: Record<string, string> = { correlationId: ctx.correlationId };
      if (ctx.causationId !== null) fields['causationId'] = ctx.causationId;
      if (ctx.eventId !== undefined) fields['eventId'] = ctx.eventId;
      return fields;
    },
  };
  // pino's default stdout destination writes synchronously, so the last lines before
  // process.exit (the shutdown log) are not lost in a buffer.
  return options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
}
