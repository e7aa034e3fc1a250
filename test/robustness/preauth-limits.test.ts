import { connect } from 'node:net';
import { DEFAULT_GATEWAY_CONFIG, type Gateway } from '@access/gateway';
import ssh2 from 'ssh2';
import { HOST_CERT_ALGORITHMS } from '../../services/gateway/src/ssh/certificate-keys.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExtraGateway, startGatewayStack, type GatewayStack } from '../support/gateway-stack.ts';

const HANDSHAKE_TIMEOUT_MS = 1000;
const MAX_AUTH_FAILURES = 3;

/** Milliseconds until the gateway closes a connection that sends `bytes` and then nothing. */
function closedAfter(port: number, bytes: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error('the gateway kept the connection open'));
    }, 10_000);
    socket.on('connect', () => bytes && socket.write(bytes));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(performance.now() - started);
    });
  });
}

describe('pre-authentication limits', () => {
  let stack: GatewayStack;
  let gateway: Gateway;
  const log: string[] = [];
  beforeAll(async () => {
    stack = await startGatewayStack();
    // A second gateway on the same CA and database, with limits short enough to test.
    gateway = await startExtraGateway(stack, 'limits-gateway', { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, maxAuthFailures: MAX_AUTH_FAILURES }, (line) => log.push(line));
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await stack?.stop();
  });

  it('has bounded defaults', () => {
    expect(DEFAULT_GATEWAY_CONFIG.handshakeTimeoutMs).toBe(20_000);
    expect(DEFAULT_GATEWAY_CONFIG.maxAuthFailures).toBe(10);
  });

  it('drops a peer that connects and sends nothing after the handshake timeout', async () => {
    const ms = await closedAfter(gateway.address().port, '');
    expect(ms).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3000);
    expect(log.some((l) => l.includes(`not signed in within ${HANDSHAKE_TIMEOUT_MS} ms`))).toBe(true);
  });

  it('drops a peer that stops after its identification line after the handshake timeout', async () => {
    const ms = await closedAfter(gateway.address().port, 'SSH-2.0-OpenSSH_9.6\r\n');
    expect(ms).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3000);
  });

  it(`ends a connection after ${MAX_AUTH_FAILURES} refused sign-in attempts`, async () => {
    let attempts = 0;
    let ready = false;
    let error = '';
    await new Promise<void>((resolve) => {
      const client = new ssh2.Client();
      client.on('ready', () => (ready = true));
      client.on('error', (e) => (error = e.message));
      client.on('close', () => resolve());
      client.connect({
        host: '127.0.0.1',
        port: gateway.address().port,
        username: 'mallory',
        algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS] } as never,
        // Never gives up on its own: only the gateway ends this loop.
        authHandler: (_methodsLeft, _partial, next) => {
          attempts++;
          next({ type: 'password', username: 'mallory', password: `guess-${attempts}` });
        },
        readyTimeout: 10_000,
      });
    });
    expect(ready).toBe(false);
    expect(error).not.toMatch(/handshake/i);
    expect(attempts).toBeGreaterThanOrEqual(MAX_AUTH_FAILURES);
    expect(attempts).toBeLessThanOrEqual(MAX_AUTH_FAILURES + 1);
    expect(log.some((l) => l.includes(`${MAX_AUTH_FAILURES} refused sign-in attempts`))).toBe(true);
    expect(gateway.liveConnections()).toBe(0);
  });
});
