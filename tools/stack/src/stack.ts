import { claimDataDir, shortPath, type DataDir } from './data-dir.js';
import type { StackEnv } from './env.js';
import { checkNatsUrl, findNatsServer, NatsServerMissingError, startNatsServer, type LocalNats } from './nats.js';
import type { Output } from './output.js';
import { databaseUrl, ensureDatabases, redact, startEmbeddedPostgres, type LocalPostgres } from './postgres.js';
import { describeExit, stopPid, stopTracked, type ExitInfo } from './processes.js';
import {
  portProblems,
  SERVICE_NAMES,
  servicePorts,
  startServiceProcess,
  waitForReady,
  type ServiceProcess,
} from './services.js';

/** Longer than a service's own shutdown budget (15 s in service-kit), so it can finish. */
const SERVICE_STOP_GRACE_MS = 20_000;
/**
 * A terminal's Ctrl-C reaches the runner, and npm may forward the same SIGINT a moment later:
 * only a signal this long after the first one means "force".
 */
const FORCE_AFTER_MS = 1_000;

/** Thrown into startup waits when a stop was requested; not an error of its own. */
class StopRequested extends Error {
  override readonly name = 'StopRequested';
}

/**
 * Runs the whole stack until a signal or a crash, then stops it — services first (they drain),
 * then Postgres, then nats-server — and exits the process: 0 after a clean stop, 1 after a
 * crash, a failed start, or a service that did not stop cleanly.
 */
export async function runStack(env: StackEnv, out: Output, repoRoot: string): Promise<never> {
  const startup = new AbortController();
  const force = new AbortController();
  const services: ServiceProcess[] = [];
  let nats: LocalNats | undefined;
  let postgres: LocalPostgres | undefined;
  let data: DataDir | undefined;
  let exitCode = 0;
  let stopping: Promise<never> | undefined;
  let stopRequestedAt = 0;
  let startupSettled!: () => void;
  const startupDone = new Promise<void>((resolve) => (startupSettled = resolve));

  const requestStop = (reason: string, code: number): Promise<never> => {
    exitCode = Math.max(exitCode, code);
    if (stopping === undefined) {
      stopRequestedAt = Date.now();
      startup.abort(new StopRequested(reason));
      stopping = stop(reason);
    }
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping === undefined) {
      void requestStop(signal, 0);
    } else if (!force.signal.aborted && Date.now() - stopRequestedAt >= FORCE_AFTER_MS) {
      out.warn(`${signal} again: forcing (SIGKILL to the services, immediate shutdown of the servers)`);
      force.abort();
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.on('uncaughtException', (error) => {
    out.error(`runner error: ${error.stack ?? error.message}`);
    void requestStop('runner error', 1);
  });
  // Last resort, should the runner die some other way: nothing it started may outlive it.
  process.on('exit', () => {
    for (const service of services) if (service.process.exit === undefined) service.process.process.kill('SIGKILL');
    if (postgres !== undefined && postgres.process.exit === undefined) postgres.process.process.kill('SIGQUIT');
    if (nats !== undefined && nats.process.exit === undefined) nats.process.process.kill('SIGTERM');
    data?.release();
  });

  async function stop(reason: string): Promise<never> {
    // Startup notices the abort within a moment (a server it was still starting, it stops
    // itself); only then is it known what there is to stop.
    await startupDone;
    const anything = services.length > 0 || nats !== undefined || postgres !== undefined;
    // After the terminal's `^C` echo, start a fresh line.
    if (anything && out.terminal && reason === 'SIGINT') out.raw(['']);
    if (anything) out.info(`stopping (${reason})${services.length > 0 ? '; Ctrl-C again to force' : ''}`);
    const results = await Promise.all(
      services.map(async (service) => {
        // One that ended before the stop was already reported (as the crash that caused it).
        if (service.process.exit !== undefined) return { service, exit: { code: 0, signal: null } };
        const exit = await stopTracked(service.process, {
          signal: 'SIGTERM',
          graceMs: SERVICE_STOP_GRACE_MS,
          force: force.signal,
          onEscalate: (why) => {
            if (why === 'timeout') out.warn(`${service.name} did not stop within ${SERVICE_STOP_GRACE_MS / 1000} s; killing it`);
          },
        });
        return { service, exit };
      }),
    );
    for (const { service, exit } of results) {
      if (stoppedCleanly(exit)) continue;
      exitCode = 1;
      // A forced stop already said what it does to every service.
      if (!(force.signal.aborted && exit.signal === 'SIGKILL')) out.error(`${service.name} ${describeExit(exit)} while stopping`);
    }
    if (postgres !== undefined) {
      await postgres.stop(force.signal);
      out.info('Postgres stopped');
    }
    if (nats !== undefined) {
      await nats.stop(force.signal);
      out.info('nats-server stopped');
    }
    data?.release();
    if (anything) out.info(exitCode === 0 ? 'stopped' : `stopped (exit code ${exitCode})`);
    process.exit(exitCode);
  }

  /** A process that ended while nothing asked it to is a crash: report it and stop the stack. */
  const watch = (name: string, exited: Promise<ExitInfo>) => {
    void exited.then((exit) => {
      if (stopping !== undefined) return;
      out.error(`${name} ${describeExit(exit)}; stopping the stack`);
      void requestStop(`${name} stopped unexpectedly`, 1);
    });
  };

  /** Starts everything; never rejects (a failure requests the stop). */
  async function start(): Promise<void> {
    try {
      // Always taken, also with NATS_URL and DATABASE_URL: it holds the services' pids too.
      data = claimDataDir(env.STACK_DATA_DIR);
      await Promise.all(
        data.leftoverServices().map((leftover) => {
          out.warn(`stopping ${leftover.name} (pid ${leftover.pid}), left running by an earlier run`);
          return stopPid(leftover.pid, 'SIGTERM', SERVICE_STOP_GRACE_MS);
        }),
      );
      const ports = servicePorts(env);
      const problems = await portProblems(ports);
      if (problems.length > 0) throw new Error(problems.join('\n'));

      let natsUrl: string;
      if (env.NATS_URL !== undefined) {
        const problem = await checkNatsUrl(env.NATS_URL);
        if (problem !== undefined) throw new Error(`${problem}. Is it running? Unset NATS_URL and npm start runs its own.`);
        natsUrl = env.NATS_URL;
        out.info(`NATS: ${redact(natsUrl)} (from NATS_URL)`);
      } else {
        const binary = await findNatsServer(env.inherited['PATH'], env.NATS_SERVER_BIN);
        if (binary === undefined) throw new NatsServerMissingError(env.NATS_SERVER_BIN);
        nats = await startNatsServer({ binary, data, out, signal: startup.signal });
        watch('nats-server', nats.process.exited);
        natsUrl = nats.url;
        out.info(`NATS: ${natsUrl} (${binary}, JetStream store ${shortPath(data.natsStore)}, log ${shortPath(data.natsLog)})`);
      }

      data.recordNatsUrl(natsUrl);

      let adminUrl: string;
      if (env.DATABASE_URL !== undefined) {
        adminUrl = env.DATABASE_URL;
        out.info(`Postgres: ${redact(adminUrl)} (from DATABASE_URL)`);
      } else {
        postgres = await startEmbeddedPostgres({ data, out, signal: startup.signal });
        watch('Postgres', postgres.process.exited);
        adminUrl = postgres.adminUrl;
        out.info(`Postgres: ${adminUrl} (embedded, data ${shortPath(data.postgresData)}, log ${shortPath(data.postgresLog)})`);
      }
      const databases = SERVICE_NAMES.map((name) => `${env.STACK_DB_PREFIX}${name}`);
      let created: string[];
      try {
        created = await ensureDatabases(adminUrl, databases);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const hint = env.DATABASE_URL === undefined ? '' : ' (DATABASE_URL must be an admin URL: a role that may create databases)';
        throw new Error(`cannot create the databases through ${redact(adminUrl)}: ${reason}${hint}`, { cause: error });
      }
      if (created.length > 0) out.info(`created databases ${created.join(', ')}`);
      startup.signal.throwIfAborted();

      for (const name of SERVICE_NAMES) {
        const service = startServiceProcess({
          name,
          port: ports[name],
          natsUrl,
          databaseUrl: databaseUrl(adminUrl, `${env.STACK_DB_PREFIX}${name}`),
          env,
          repoRoot,
          out,
        });
        services.push(service);
        watch(name, service.process.exited);
      }
      data.recordServices(services.map((service) => ({ name: service.name, pid: service.process.process.pid })));
      await Promise.all(services.map((service) => waitForReady(service, startup.signal)));
      out.raw(banner(env, ports, performance.now(), out));
    } catch (error) {
      if (!(startup.signal.reason instanceof StopRequested)) {
        out.error(error instanceof Error ? error.message : String(error));
        // Not awaited: the stop waits for this function to return.
        void requestStop('could not start', 1);
      }
    } finally {
      startupSettled();
    }
  }

  await start();
  return stopping ?? new Promise<never>(() => {});
}

/** Exit code 0, or ended by the SIGTERM/SIGINT of a stop (before its own handler was installed). */
function stoppedCleanly(exit: ExitInfo): boolean {
  return exit.code === 0 || exit.signal === 'SIGTERM' || exit.signal === 'SIGINT';
}

function banner(env: StackEnv, ports: Readonly<Record<(typeof SERVICE_NAMES)[number], number>>, elapsedMs: number, out: Output): string[] {
  const { bold, dim, green } = out.palette;
  const order = `localhost:${ports.order}`;
  const body = JSON.stringify({
    customerId: 'c-42',
    customerEmail: 'ada@example.com',
    items: [{ sku: 'KEYBOARD-01', quantity: 1 }],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentToken: 'tok_visa',
  });
  return [
    '',
    green(bold(`  Orderflow is ready (${(elapsedMs / 1000).toFixed(1)} s)`)),
    '',
    `  Order API      http://${order}/orders`,
    ...SERVICE_NAMES.map((name, i) => `  ${i === 0 ? 'API docs' : '        '}       http://localhost:${ports[name]}/docs  ${dim(name)}`),
    '',
    '  Place an order, then look at it (CONFIRMED in a moment):',
    `  curl -si ${order}/orders -H 'content-type: application/json' -H 'X-Correlation-Id: demo-1' -d '${body}'`,
    `  curl -s ${order}/orders/<orderId>`,
    '',
    dim(`  Ctrl-C stops everything.${env.NATS_URL === undefined || env.DATABASE_URL === undefined ? ' Data stays in .data/ (delete it, stopped, to start from empty).' : ''}`),
    '',
  ];
}
