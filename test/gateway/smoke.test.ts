import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';

describe('gateway smoke', () => {
  let stack: GatewayStack;
  let alice: Engineer;
  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    alice = await stack.addEngineer('alice@example.com', ['gwalice']);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a command on the target as the granted login', { timeout: 90_000 }, async () => {
    const r = await alice.ssh(['gwalice@web-1', 'id -un; echo err >&2; exit 3']);
    expect(r.stdout).toBe('gwalice\n');
    expect(r.stderr).toContain('err');
    expect(r.code).toBe(3);
  });
});
