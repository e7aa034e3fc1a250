import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_GATEWAY_CONFIG, type Gateway } from '@access/gateway';
import ssh2 from 'ssh2';
import { HOST_CERT_ALGORITHMS } from '../../services/gateway/src/ssh/certificate-keys.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardOut, signInAs } from '../support/engineer-ssh2.ts';
import { startExtraGateway, startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { sleep } from '../support/process.ts';

const HANDSHAKE_TIMEOUT_MS = 1000;
const MAX_AUTH_FAILURES = 3;
const LOGIN = 'gwpreauth';

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
  let engineer: Engineer;
  const log: string[] = [];
  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    engineer = await stack.addEngineer('papa.preauth@example.com', [LOGIN]);
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

  describe('the connection to a host inside an engineer\'s connection', () => {
    // Its own gateway: the engineer's outer sign-in must fit in the timeout too, and 1 s is
    // tight for that on a loaded machine; the inner sign-in (a CA decision and a dial) also.
    const INNER_TIMEOUT_MS = 3000;
    let inner: Gateway;
    const lines: string[] = [];
    beforeAll(async () => {
      inner = await startExtraGateway(stack, 'inner-timeout-gateway', { handshakeTimeoutMs: INNER_TIMEOUT_MS }, (line) => lines.push(line));
    });
    afterAll(() => inner?.close());

    it('is closed when it has not signed in within the handshake timeout, and the engineer\'s connection stays', async () => {
      const outer = await signIn(inner.address().port);
      try {
        const started = performance.now();
        const channel = await forwardOut(outer, 'web-1');
        // Nothing is sent inside the channel: no banner, no key exchange.
        channel.on('data', () => undefined);
        const closedAt = await Promise.race([
          new Promise<number>((resolve) => channel.once('close', () => resolve(performance.now() - started))),
          sleep(INNER_TIMEOUT_MS + 5000).then(() => Infinity),
        ]);
        expect(closedAt).toBeGreaterThanOrEqual(INNER_TIMEOUT_MS - 50);
        expect(closedAt).toBeLessThan(INNER_TIMEOUT_MS + 5000);
        expect(lines.filter((l) => l.includes(`closed the connection of ${engineer.email} to web-1: not signed in within ${INNER_TIMEOUT_MS} ms`))).toHaveLength(1);
        // The outer connection is signed in: it is not timed out, and can still reach the host.
        const again = await forwardOut(outer, 'web-1');
        again.close();
      } finally {
        outer.end();
      }
    });

    it('is not closed once it has signed in', async () => {
      const before = lines.length;
      const outer = await signIn(inner.address().port);
      try {
        const host = await signIn(inner.address().port, await forwardOut(outer, 'web-1'));
        await sleep(INNER_TIMEOUT_MS + 1000);
        expect(await execOutput(host, 'echo still-here')).toBe('still-here\n');
        expect(lines.slice(before).filter((l) => l.includes('not signed in within'))).toEqual([]);
        host.end();
      } finally {
        outer.end();
      }
    });
  });

  const signIn = (port: number, sock?: Duplex) => signInAs(engineer, LOGIN, port, sock);
});

function execOutput(client: ssh2.Client, command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (d: Buffer) => (out += d.toString()));
      stream.stderr.resume();
      stream.on('close', () => resolve(out));
    }),
  );
}
