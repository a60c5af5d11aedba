import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_LIMIT, isUsageError, isUuid, parseCommand } from '../src/args.js';
import { loadEnv } from '../src/env.js';

const orderId = '0b6c0d2e-5f1a-4c3b-9d7e-112233445566';

function usageError(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (err) {
    expect(isUsageError(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`parsed ${argv.join(' ')}`);
}

describe('parseCommand: trace', () => {
  it('takes one id, auto by default, table by default', () => {
    expect(parseCommand(['trace', orderId])).toEqual({ kind: 'trace', id: orderId, by: 'auto', json: false });
    expect(parseCommand(['trace', 'demo-1', '--json'])).toEqual({ kind: 'trace', id: 'demo-1', by: 'auto', json: true });
    expect(parseCommand(['trace', '--by', 'correlation', orderId])).toEqual({ kind: 'trace', id: orderId, by: 'correlation', json: false });
    expect(parseCommand(['trace', `--by=order`, orderId])).toMatchObject({ by: 'order' });
  });

  it('refuses no id, two ids, an unknown flag and a bad --by', () => {
    expect(usageError(['trace'])).toMatch(/one order id or correlation id; got none/);
    expect(usageError(['trace', 'a', 'b'])).toMatch(/got a b/);
    expect(usageError(['trace', 'a', '--verbose'])).toMatch(/--verbose/);
    expect(usageError(['trace', 'a', '--by', 'sku'])).toMatch(/--by takes auto, order, correlation; got "sku"/);
    expect(usageError(['trace', 'demo-1', '--by', 'order'])).toMatch(/needs an order id \(a UUID\)/);
  });

  it('is help with --help', () => {
    expect(parseCommand(['trace', '--help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['trace', '-h'])).toEqual({ kind: 'help' });
  });
});

describe('parseCommand: dead-letters', () => {
  it('lists, optionally for one consumer and with a limit', () => {
    expect(parseCommand(['dead-letters', 'list'])).toEqual({ kind: 'dead-letters-list', consumer: undefined, limit: DEFAULT_LIST_LIMIT });
    expect(parseCommand(['dead-letters', 'list', '--consumer', 'payment-inventory-events', '--limit=5'])).toEqual({
      kind: 'dead-letters-list',
      consumer: 'payment-inventory-events',
      limit: 5,
    });
  });

  it('replays and discards one sequence number', () => {
    expect(parseCommand(['dead-letters', 'replay', '12'])).toEqual({ kind: 'dead-letters-replay', seq: 12 });
    expect(parseCommand(['dead-letters', 'discard', '3'])).toEqual({ kind: 'dead-letters-discard', seq: 3 });
  });

  it('refuses what it cannot do', () => {
    expect(usageError(['dead-letters'])).toMatch(/needs an action/);
    expect(usageError(['dead-letters', 'purge'])).toMatch(/unknown dead-letters action "purge"/);
    expect(usageError(['dead-letters', 'replay'])).toMatch(/one sequence number/);
    expect(usageError(['dead-letters', 'replay', '1', '2'])).toMatch(/one sequence number/);
    for (const bad of ['0', '1.5', 'x', '1e3']) expect(usageError(['dead-letters', 'discard', bad])).toMatch(/positive integer/);
    expect(usageError(['dead-letters', 'discard', '-1'])).toMatch(/Unknown option '-1'/);
    expect(usageError(['dead-letters', 'list', '--limit', '0'])).toMatch(/--limit must be a positive integer/);
    expect(usageError(['dead-letters', 'list', 'extra'])).toMatch(/takes no operand/);
    expect(usageError(['dead-letters', 'replay', '1', '--consumer', 'x'])).toMatch(/only apply to dead-letters list/);
  });
});

describe('parseCommand', () => {
  it('is help with no command or help', () => {
    expect(parseCommand([])).toEqual({ kind: 'help' });
    expect(parseCommand(['help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
  });

  it('refuses an unknown command', () => {
    expect(usageError(['tail'])).toBe('unknown command "tail"');
  });
});

describe('isUuid', () => {
  it('tells an order id from a correlation id', () => {
    expect(isUuid(orderId)).toBe(true);
    expect(isUuid(orderId.toUpperCase())).toBe(true);
    expect(isUuid('demo-1')).toBe(false);
    expect(isUuid(`${orderId}.x`)).toBe(false);
  });
});

describe('loadEnv', () => {
  it('defaults to the local NATS and no namespace; empty means unset', () => {
    expect(loadEnv({})).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', NATS_NAMESPACE: '' });
    expect(loadEnv({ NATS_URL: '', NATS_NAMESPACE: 'dev_1' })).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', NATS_NAMESPACE: 'dev_1' });
  });

  it('refuses a namespace that cannot be part of a stream name', () => {
    expect(() => loadEnv({ NATS_NAMESPACE: 'a.b' })).toThrow(/NATS_NAMESPACE: only letters/);
  });
});
