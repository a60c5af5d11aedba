import { describe, expect, it } from 'vitest';
import { serviceNodeArgs } from '../src/services.js';

describe('serviceNodeArgs', () => {
  it('bounds every service heap, then adds STACK_NODE_ARGS and the entry point', () => {
    expect(serviceNodeArgs('order', { STACK_SERVICE_CODE: 'dist', STACK_NODE_ARGS: ' --cpu-prof  --cpu-prof-dir=/tmp/p ' })).toEqual([
      '--max-old-space-size=128',
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/p',
      'services/order/dist/main.js',
    ]);
    expect(serviceNodeArgs('payment', { STACK_SERVICE_CODE: 'src' })).toEqual([
      '--max-old-space-size=128',
      '--conditions=@orderflow/source',
      '--import',
      'tsx',
      'services/payment/src/main.ts',
    ]);
  });
});
