import { colours, formatPinoLine, noColours, prefix, type Palette } from './log-format.js';

/** Where every line of the stack goes: the runner's own notes and each child's output. */
export interface Output {
  readonly palette: Palette;
  /** Writing to a terminal (which echoes `^C` mid-line). */
  readonly terminal: boolean;
  /** A note of the runner itself (`stack        │ ...`). */
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** One line a child wrote; pino JSON is shortened unless the format is `json`. */
  child(source: string, line: string, stream: 'stdout' | 'stderr'): void;
  /** Lines printed as they are, without a prefix (the ready banner: easy to copy from). */
  raw(lines: readonly string[]): void;
}

export interface OutputOptions {
  readonly colour: boolean;
  readonly terminal?: boolean;
  readonly format: 'pretty' | 'json';
  readonly write?: (text: string) => void;
}

/** Colour per source, so five interleaved services stay apart at a glance. */
const SOURCE_COLOURS: Readonly<Record<string, keyof Palette>> = {
  order: 'cyan',
  inventory: 'magenta',
  payment: 'yellow',
  shipping: 'blue',
  notification: 'green',
  nats: 'dim',
  postgres: 'dim',
  stack: 'bold',
};

export function createOutput(options: OutputOptions): Output {
  const palette = options.colour ? colours : noColours;
  // process.stdout writes synchronously to files, TTYs and (on Linux) pipes: the last lines
  // before process.exit are not lost in a buffer.
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const prefixes = new Map<string, string>();
  const prefixOf = (source: string): string => {
    let value = prefixes.get(source);
    if (value === undefined) {
      value = prefix(source, palette[SOURCE_COLOURS[source] ?? 'bold'], palette);
      prefixes.set(source, value);
    }
    return value;
  };
  const note = (text: string) => write(`${prefixOf('stack')}${text}\n`);

  return {
    palette,
    terminal: options.terminal ?? false,
    info: note,
    warn: (message) => note(palette.yellow(message)),
    error: (message) => {
      for (const line of message.split('\n')) note(palette.red(line));
    },
    child(source, line, stream) {
      if (line.trim() === '') return;
      const pretty = options.format === 'pretty' ? formatPinoLine(line, palette) : undefined;
      const text = pretty ?? (stream === 'stderr' ? palette.red(line) : line);
      write(`${prefixOf(source)}${text}\n`);
    },
    raw(lines) {
      write(`${lines.join('\n')}\n`);
    },
  };
}
