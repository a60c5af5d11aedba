import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What travels with one unit of work: set by the HTTP edge for a request, and by the consumer
 * runner for each message it handles. `enqueue` stamps it on every event it writes and the
 * logger adds it to every line, so nothing has to pass ids around by hand.
 */
export interface MessageContext {
  /** Id of the request that started the flow. */
  readonly correlationId: string;
  /** Id of the event being handled (becomes `causationId` of what it emits); null at the HTTP edge. */
  readonly causationId: string | null;
  /** Id of the event being handled, for log lines. */
  readonly eventId?: string | undefined;
  /** W3C traceparent of the current span. */
  readonly traceparent?: string | undefined;
}

const storage = new AsyncLocalStorage<MessageContext>();

/** Runs `fn` with `ctx` as the current context (and restores the previous one after). */
export function runWithContext<T>(ctx: MessageContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Sets the context for the rest of the current async execution (e.g. a Fastify onRequest hook). */
export function enterContext(ctx: MessageContext): void {
  storage.enterWith(ctx);
}

/** The current context, if any. */
export function currentContext(): MessageContext | undefined {
  return storage.getStore();
}
