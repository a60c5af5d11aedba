// npm run trace / npm run dead-letters. See tools/cli/README.md.
// The only file that reads process.env and argv and opens the NATS connection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isUsageError, parseCommand, usage, type Command } from './args.js';
import { loadEnv, type CliEnv } from './env.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.startsWith(error.name) || error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

/**
 * Without NATS_URL, the NATS of a running `npm start` of this checkout (it writes its URL to
 * .data/nats.url, or $STACK_DATA_DIR/nats.url): its own nats-server is often not on 4222.
 */
function withStackNatsUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env['NATS_URL']) return env;
  const dataDir = env['STACK_DATA_DIR'] || fileURLToPath(new URL('../../../.data', import.meta.url));
  try {
    const url = readFileSync(join(dataDir, 'nats.url'), 'utf8').trim();
    return url ? { ...env, NATS_URL: url } : env;
  } catch {
    return env;
  }
}

/** The URL without a password, fit for an error message. */
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

async function main(): Promise<number> {
  let env: CliEnv;
  let command: Command;
  try {
    env = loadEnv(withStackNatsUrl(process.env));
  } catch (error) {
    err(message(error));
    return 1;
  }
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    if (!isUsageError(error)) throw error;
    err(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (command.kind === 'help') {
    out(usage);
    return 0;
  }

  // Loaded only now: the messaging package takes most of a second to import, --help should not wait.
  const { runCommand } = await import('./cli.js');
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: env.NATS_URL, name: 'orderflow-cli', timeout: 5_000 });
  } catch (error) {
    err(`Cannot reach NATS at ${redact(env.NATS_URL)} (NATS_URL): ${message(error)}.`);
    err('Is it running? `npm start` starts one; NATS_URL points at another.');
    return 1;
  }
  try {
    return await runCommand(command, { nc, namespace: env.NATS_NAMESPACE, out, err });
  } catch (error) {
    err(`Failed: ${message(error)}`);
    return 1;
  } finally {
    await nc.close();
  }
}

process.exitCode = await main();
