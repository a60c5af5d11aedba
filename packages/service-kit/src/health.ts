import type pg from 'pg';

/** A readiness probe: resolves when the dependency answers, rejects (or hangs) when it doesn't. */
export type ReadinessCheck = () => Promise<void>;

/** Result of one check in the `/health/ready` body. */
export type CheckStatus = 'ok' | 'failed' | 'timeout';

/** Body of `/health/ready`. */
export interface ReadinessReport {
  readonly status: 'ok' | 'unavailable';
  readonly checks: Readonly<Record<string, CheckStatus>>;
}

/** The part of a NATS connection `natsCheck` uses (a `NatsConnection` from `@nats-io/transport-node` fits). */
export interface FlushableConnection {
  flush(): Promise<void>;
  isClosed(): boolean;
}

/**
 * Ready when the NATS connection is open and the server answers a round trip. While the client
 * is reconnecting, `flush()` waits for the reconnect, so the check times out and the replica is
 * taken out of the load balancer until NATS is back.
 */
export function natsCheck(nc: FlushableConnection): ReadinessCheck {
  return async () => {
    if (nc.isClosed()) throw new Error('NATS connection is closed');
    await nc.flush();
  };
}

/** Ready when the pool can run `select 1` (fails once the pool is ended or Postgres is gone). */
export function dbCheck(pool: Pick<pg.Pool, 'query'>): ReadinessCheck {
  return async () => {
    await pool.query('select 1');
  };
}

/** A failed check, with the error for the log (never sent to the client). */
export interface CheckFailure {
  readonly name: string;
  readonly status: Exclude<CheckStatus, 'ok'>;
  readonly error: unknown;
}

/**
 * Runs every check concurrently, each bounded by `timeoutMs`, so one hung dependency cannot
 * hang the probe (orchestrators treat a probe that never answers worse than a 503).
 */
export async function runReadinessChecks(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
): Promise<{ report: ReadinessReport; failures: CheckFailure[] }> {
  const entries = Object.entries(checks);
  const outcomes = await Promise.all(entries.map(([name, check]) => runOne(name, check, timeoutMs)));
  const failures = outcomes.filter((o): o is CheckFailure => o.status !== 'ok');
  return {
    report: {
      status: failures.length === 0 ? 'ok' : 'unavailable',
      checks: Object.fromEntries(outcomes.map((o) => [o.name, o.status])),
    },
    failures,
  };
}

const TIMED_OUT = Symbol('timeout');

async function runOne(
  name: string,
  check: ReadinessCheck,
  timeoutMs: number,
): Promise<{ name: string; status: 'ok' } | CheckFailure> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    // The check keeps running after a timeout; its late rejection is caught by Promise.race.
    const result = await Promise.race([check(), timeout]);
    if (result === TIMED_OUT) return { name, status: 'timeout', error: new Error(`${name} check timed out after ${timeoutMs} ms`) };
    return { name, status: 'ok' };
  } catch (error) {
    return { name, status: 'failed', error };
  } finally {
    clearTimeout(timer);
  }
}
