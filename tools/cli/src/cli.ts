// The commands, given an open NATS connection. main.ts parses the env and argv and connects.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { deadLetterStream, type Namespace } from '@orderflow/contracts';
import { DeadLetterHeader, discardDeadLetter, listDeadLetters, replayDeadLetter } from '@orderflow/messaging';
import type { Command } from './args.js';
import { formatDeadLetters, formatTrace, formatTraceJson } from './format.js';
import { isStreamNotFound } from './stream-reader.js';
import { collectTrace } from './trace.js';

/** Where a command writes: `out` for results (stdout), `err` for diagnostics (stderr). One line per call. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface CliDeps extends CliOutput {
  readonly nc: NatsConnection;
  /** NATS_NAMESPACE of the stack to look at ('' for none). */
  readonly namespace: Namespace;
}

/** A command that needs NATS (everything but `help`). */
export type NatsCommand = Exclude<Command, { kind: 'help' }>;

/** Runs one command; resolves the exit code (0 done, 1 nothing found or refused). */
export async function runCommand(command: NatsCommand, deps: CliDeps): Promise<number> {
  const js = jetstream(deps.nc);
  const jsm = await jetstreamManager(deps.nc);
  switch (command.kind) {
    case 'trace': {
      const trace = await collectTrace(js, jsm, command, { namespace: deps.namespace });
      if (trace.events.length === 0 && trace.undecodable.length === 0 && trace.deadLetters.length === 0) {
        deps.err(`Nothing found for "${command.id}": no event or dead letter has it as order id or correlation id ${where(deps.namespace)}.`);
        if (trace.missingStreams.length > 0) deps.err(`Streams not found: ${trace.missingStreams.join(', ')} (check NATS_NAMESPACE).`);
        return 1;
      }
      if (command.json) {
        for (const line of formatTraceJson(trace)) deps.out(line);
        // stdout stays one event per line (for jq); the rest goes to stderr.
        if (trace.undecodable.length > 0) deps.err(`${trace.undecodable.length} message(s) on these subjects are not valid events.`);
        if (trace.deadLetters.length > 0) {
          deps.err(`Dead letters: ${trace.deadLetters.map((dl) => dl.seq).join(', ')} (npm run trace without --json shows them).`);
        }
      } else {
        for (const line of formatTrace(trace)) deps.out(line);
      }
      return 0;
    }
    case 'dead-letters-list': {
      const list = await orMissing(deps, () =>
        listDeadLetters(jsm, { namespace: deps.namespace, consumer: command.consumer, limit: command.limit }),
      );
      if (list === undefined) return 1;
      if (list.length === 0) {
        deps.out(command.consumer === undefined ? 'No dead letters.' : `No dead letters for consumer ${command.consumer}.`);
        return 0;
      }
      for (const line of formatDeadLetters(list)) deps.out(line);
      if (list.length === command.limit) deps.err(`Showing the first ${command.limit}; --limit N shows more.`);
      return 0;
    }
    case 'dead-letters-replay':
    case 'dead-letters-discard': {
      const stream = deadLetterStream(deps.namespace).name;
      const found = await orMissing(deps, () => describeDeadLetter(jsm, stream, command.seq));
      if (found === undefined) return 1;
      if (found === null) {
        deps.err(`No dead letter ${command.seq} in ${stream} (npm run dead-letters -- list shows them).`);
        return 1;
      }
      if (command.kind === 'dead-letters-replay') {
        await replayDeadLetter(js, jsm, command.seq, { namespace: deps.namespace });
        deps.out(`Replayed dead letter ${command.seq} (${found}) and removed it from ${stream}.`);
      } else {
        await discardDeadLetter(jsm, command.seq, { namespace: deps.namespace });
        deps.out(`Discarded dead letter ${command.seq} (${found}) from ${stream}.`);
      }
      return 0;
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

function where(namespace: Namespace): string {
  return namespace ? `in namespace "${namespace}"` : 'in the default (empty) namespace';
}

/** Runs `read`; `undefined` (and a message) when the dead-letter stream does not exist. */
async function orMissing<T>(deps: CliDeps, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    deps.err(
      `No dead-letter stream ${deadLetterStream(deps.namespace).name} ${where(deps.namespace)}: ` +
        'the services create it at start-up; check NATS_NAMESPACE.',
    );
    return undefined;
  }
}

/** "consumer X, reason Y, to <subject>" for one dead letter, or null when there is none at `seq`. */
async function describeDeadLetter(jsm: JetStreamManager, stream: string, seq: number): Promise<string | null> {
  const m = await jsm.streams.getMessage(stream, { seq });
  if (!m) return null;
  const h = (key: string) => m.header?.get(key) || '?';
  return `consumer ${h(DeadLetterHeader.consumer)}, reason ${h(DeadLetterHeader.reason)}, subject ${h(DeadLetterHeader.subject)}`;
}
