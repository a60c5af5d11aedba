/**
 * Turns the services' pino JSON lines into one short readable line each:
 * `12:04:05.123 INFO  request completed POST /orders 202 12ms correlationId=demo-1`.
 * Pure functions, so the format is unit-tested without processes.
 */

/** ANSI colours, or none (`NO_COLOR`, a pipe, a file). */
export interface Palette {
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly blue: (text: string) => string;
  readonly magenta: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

export const colours: Palette = {
  dim: sgr(2, 22),
  bold: sgr(1, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  magenta: sgr(35, 39),
  cyan: sgr(36, 39),
};

const identity = (text: string): string => text;

export const noColours: Palette = {
  dim: identity,
  bold: identity,
  red: identity,
  green: identity,
  yellow: identity,
  blue: identity,
  magenta: identity,
  cyan: identity,
};

/** Width of the name column: the longest service name (`notification`) plus one space. */
export const PREFIX_WIDTH = 13;

/** `order        │ ` — the fixed-width column in front of every line of one source. */
export function prefix(name: string, colour: (text: string) => string, palette: Palette): string {
  return `${colour(name.padEnd(PREFIX_WIDTH))}${palette.dim('│')} `;
}

const LEVELS: Readonly<Record<number, { label: string; colour: keyof Palette }>> = {
  10: { label: 'TRACE', colour: 'dim' },
  20: { label: 'DEBUG', colour: 'blue' },
  30: { label: 'INFO ', colour: 'green' },
  40: { label: 'WARN ', colour: 'yellow' },
  50: { label: 'ERROR', colour: 'red' },
  60: { label: 'FATAL', colour: 'magenta' },
};

/**
 * Fields worth a glance, in this order; everything else (pid, hostname, eventId, traceparent...)
 * stays in the JSON (`LOG_FORMAT=json` shows it).
 */
const SHOWN_FIELDS = [
  'orderId',
  'correlationId',
  'type',
  'status',
  'reason',
  'consumer',
  'database',
  'port',
  'step',
  'check',
  'timeoutMs',
] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return /[\s"]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `HH:MM:SS.mmm` in local time, from pino's ISO time or epoch milliseconds. */
export function clock(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) return '--:--:--.---';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `TypeError: boom` from pino's serialized `err`, following `cause` one level. */
function errorText(err: unknown): string | undefined {
  if (!isObject(err)) return scalar(err);
  const type = typeof err['type'] === 'string' && err['type'] !== 'Error' ? `${err['type']}: ` : '';
  const message = typeof err['message'] === 'string' ? err['message'] : JSON.stringify(err);
  const code = typeof err['code'] === 'string' ? ` [${err['code']}]` : '';
  const cause = isObject(err['cause']) && typeof err['cause']['message'] === 'string' ? ` (cause: ${err['cause']['message']})` : '';
  return `${type}${message}${code}${cause}`;
}

/**
 * One pino JSON line as `time LEVEL msg details`, or undefined when the line is not a pino
 * object (a stack trace on stderr, a Node warning): the caller prints those as they are.
 */
export function formatPinoLine(line: string, palette: Palette): string | undefined {
  if (!line.startsWith('{')) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(entry) || typeof entry['level'] !== 'number') return undefined;

  const level = LEVELS[entry['level']] ?? { label: `L${entry['level']}`.padEnd(5), colour: 'bold' as const };
  const parts: string[] = [palette.dim(clock(entry['time'])), palette[level.colour](level.label)];
  parts.push(typeof entry['msg'] === 'string' ? entry['msg'] : '');

  // Fastify's request lines: `incoming request POST /orders`, `request completed 202 12ms`.
  const req = entry['req'];
  if (isObject(req) && typeof req['method'] === 'string') parts.push(`${req['method']} ${String(req['url'])}`);
  const res = entry['res'];
  if (isObject(res) && typeof res['statusCode'] === 'number') parts.push(String(res['statusCode']));
  if (typeof entry['responseTime'] === 'number') parts.push(`${Math.round(entry['responseTime'])}ms`);

  for (const key of SHOWN_FIELDS) {
    const value = scalar(entry[key]);
    if (value !== undefined) parts.push(palette.dim(`${key}=`) + value);
  }
  const err = errorText(entry['err'] ?? entry['error']);
  if (err !== undefined) parts.push(palette.red(`err=${err}`));
  return parts.filter((part) => part !== '').join(' ');
}
