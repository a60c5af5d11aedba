import type { Logger } from './logger.js';

/** One step of a graceful shutdown. */
export interface ShutdownStep {
  /** For logs, e.g. `http`, `consumers`, `nats`, `db`. */
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  readonly logger: Logger;
  /**
   * Budget for all steps together, in ms; default 15 000. When it runs out the process exits
   * with 1 regardless. Keep it below the orchestrator's kill grace period (Kubernetes: 30 s).
   */
  readonly timeoutMs?: number;
  /** Signals that start the shutdown; default `SIGTERM` and `SIGINT`. `[]` installs none. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called with the exit code at the end; default `process.exit`. Tests inject a spy. */
  readonly exit?: (code: number) => void;
}

/** Starts the shutdown (if not started) and resolves once it has finished and `exit` was called. */
export type TriggerShutdown = (reason?: string) => Promise<void>;

/**
 * Installs signal handlers that run `steps` once, in the given order, then exit: 0 when every
 * step succeeded, 1 when one failed or the whole run exceeded `timeoutMs`. Use the order of
 * STYLE.md: close HTTP (stop taking work), stop consumers (finish in-flight messages), drain
 * NATS (flush what was published), end the pool (last, everything above may still write).
 *
 * A failing step is logged and the next ones still run: a broken HTTP close must not leave
 * messages un-acked or the pool open.
 *
 * Repeated signals while shutting down are logged and ignored, not taken as "force quit":
 * `npm start` in a terminal delivers Ctrl-C to the whole process group and a parent may forward
 * it as well, so a second SIGINT usually arrives at once. The timeout bounds a hung shutdown.
 *
 * @returns a trigger that starts the same shutdown programmatically (fatal errors, tests)
 */
export function onShutdown(steps: readonly ShutdownStep[], options: ShutdownOptions): TriggerShutdown {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  const trigger: TriggerShutdown = (reason = 'requested') => {
    if (running !== undefined) {
      logger.info({ reason }, 'shutdown already in progress');
      return running;
    }
    running = shutdown(reason);
    return running;
  };

  async function shutdown(reason: string): Promise<void> {
    logger.info({ reason, steps: steps.map((s) => s.name) }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([runSteps(), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      exit(1);
    } else if (outcome === 'failed') {
      logger.error('shutdown finished with errors');
      exit(1);
    } else {
      logger.info('shutdown complete');
      exit(0);
    }
  }

  async function runSteps(): Promise<'ok' | 'failed'> {
    let failed = false;
    for (const step of steps) {
      const started = performance.now();
      try {
        await step.run();
        logger.info({ step: step.name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
      } catch (err) {
        failed = true;
        logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    return failed ? 'failed' : 'ok';
  }

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      void trigger(signal);
    });
  }
  return trigger;
}
