// The command line, parsed into data. Pure: no I/O, no process.argv.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** How `trace` reads its argument. `auto`: an order id when it is a UUID and events match, else a correlation id. */
export const TraceBy = { auto: 'auto', order: 'order', correlation: 'correlation' } as const;
export type TraceBy = (typeof TraceBy)[keyof typeof TraceBy];
const traceByValues: readonly TraceBy[] = [TraceBy.auto, TraceBy.order, TraceBy.correlation];

/** What the user asked for. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'trace'; readonly id: string; readonly by: TraceBy; readonly json: boolean }
  | { readonly kind: 'dead-letters-list'; readonly consumer: string | undefined; readonly limit: number }
  | { readonly kind: 'dead-letters-replay'; readonly seq: number }
  | { readonly kind: 'dead-letters-discard'; readonly seq: number };

/** Default `--limit` of `dead-letters list` (the messaging package's own default). */
export const DEFAULT_LIST_LIMIT = 1000;

export const usage = `Usage:
  npm run trace -- <orderId | correlationId> [--by auto|order|correlation] [--json]
  npm run dead-letters -- list [--consumer NAME] [--limit N]
  npm run dead-letters -- replay <seq>
  npm run dead-letters -- discard <seq>

Environment: NATS_URL (default nats://127.0.0.1:4222), NATS_NAMESPACE (default empty).
Exit codes: 0 done, 1 failed or nothing found, 2 bad arguments.`;

/** A command line the CLI cannot understand. Exit code 2, with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof Error && err.name === 'UsageError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` has the shape of an order id (a UUID). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Parses the arguments after `main.ts` (`trace <id> --json`, `dead-letters list`...). Throws a {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case 'trace':
      return parseTrace(rest);
    case 'dead-letters':
      return parseDeadLetters(rest);
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util throws a TypeError with an ERR_PARSE_ARGS_* code and a readable message.
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

function parseTrace(args: readonly string[]): Command {
  const { values, positionals } = parse(args, {
    ...helpOption,
    json: { type: 'boolean' },
    by: { type: 'string' },
  });
  if (values.help) return { kind: 'help' };
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new UsageError(`trace takes one order id or correlation id; got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  }
  const id = positionals[0]!;
  const by = values.by ?? TraceBy.auto;
  if (!traceByValues.includes(by as TraceBy)) throw new UsageError(`--by takes ${traceByValues.join(', ')}; got "${by}"`);
  if (by === TraceBy.order && !isUuid(id)) throw new UsageError(`--by order needs an order id (a UUID); got "${id}"`);
  return { kind: 'trace', id, by: by as TraceBy, json: values.json ?? false };
}

function parseDeadLetters(args: readonly string[]): Command {
  const { values, positionals } = parse(args, {
    ...helpOption,
    consumer: { type: 'string' },
    limit: { type: 'string' },
  });
  if (values.help) return { kind: 'help' };
  const [action, ...operands] = positionals;
  if (action !== 'list' && (values.consumer !== undefined || values.limit !== undefined)) {
    throw new UsageError('--consumer and --limit only apply to dead-letters list');
  }
  switch (action) {
    case 'list':
      if (operands.length > 0) throw new UsageError(`dead-letters list takes no operand; got ${operands.join(' ')}`);
      if (values.consumer === '') throw new UsageError('--consumer needs a consumer name');
      return {
        kind: 'dead-letters-list',
        consumer: values.consumer,
        limit: values.limit === undefined ? DEFAULT_LIST_LIMIT : positiveInt('--limit', values.limit),
      };
    case 'replay':
    case 'discard': {
      if (operands.length !== 1) throw new UsageError(`dead-letters ${action} takes one sequence number (see dead-letters list)`);
      const seq = positiveInt('seq', operands[0]!);
      return action === 'replay' ? { kind: 'dead-letters-replay', seq } : { kind: 'dead-letters-discard', seq };
    }
    case undefined:
      throw new UsageError('dead-letters needs an action: list, replay <seq> or discard <seq>');
    default:
      throw new UsageError(`unknown dead-letters action "${action}"; use list, replay or discard`);
  }
}

function positiveInt(what: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer; got "${value}"`);
  return n;
}
