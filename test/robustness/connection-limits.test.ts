import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gateway, GatewayConfig } from '@access/gateway';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, gatewayLimits } from '../../services/ca/src/config.ts';
import { forwardOut, signInAs } from '../support/engineer-ssh2.ts';
import { eventually } from '../support/gateway-records.ts';
import { startExtraGateway, startGatewayStack, type Engineer, type GatewayStack } from '../support/gateway-stack.ts';
import { sleep } from '../support/process.ts';

type Knock = { admitted: boolean; socket: Socket };

/**
 * Opens a TCP connection (from `localAddress`, after `preface`) and tells whether the gateway
 * spoke SSH (admitted; the socket stays open for the caller) or closed it without a word.
 */
function knock(port: number, options: { localAddress?: string; preface?: string } = {}): Promise<Knock> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const giveUp = setTimeout(() => reject(new Error('the gateway neither spoke nor closed within 5 s')), 5000);
    socket.on('error', () => undefined);
    socket.on('connect', () => options.preface && socket.write(options.preface));
    socket.once('data', (data: Buffer) => {
      clearTimeout(giveUp);
      expect(data.toString('latin1')).toMatch(/^SSH-2\.0-/);
      resolve({ admitted: true, socket });
    });
    socket.once('close', () => {
      clearTimeout(giveUp);
      resolve({ admitted: false, socket });
    });
  });
}

/** Knocks `n` times one after the other; counts the admitted, closing each at once unless `hold`. */
async function knockMany(port: number, n: number, options: { localAddress?: string; preface?: string; hold?: Socket[] } = {}): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    const k = await knock(port, options);
    if (k.admitted) {
      admitted++;
      if (options.hold) options.hold.push(k.socket);
      else k.socket.destroy();
    }
  }
  return admitted;
}

const proxyHeader = (client: string) => `PROXY TCP4 ${client} 127.0.0.1 40000 3022\r\n`;

describe('the gateway limits on connections and channels', () => {
  let stack: GatewayStack;
  let engineer: Engineer;
  const gateways: Gateway[] = [];
  const held: Socket[] = [];
  const logs = new Map<Gateway, string[]>();

  async function extraGateway(overrides: Partial<GatewayConfig>): Promise<Gateway> {
    const log: string[] = [];
    const gateway = await startExtraGateway(stack, `limits-${gateways.length}`, overrides, (line) => log.push(line));
    gateways.push(gateway);
    logs.set(gateway, log);
    return gateway;
  }

  beforeAll(async () => {
    stack = await startGatewayStack();
    await stack.addTarget('web-1');
    engineer = await stack.addEngineer('lima.limits@example.com', ['gwlimits']);
  }, 120_000);
  afterAll(async () => {
    for (const s of held) s.destroy();
    for (const g of gateways) await g.close();
    await stack?.stop();
  });

  describe('new connections per client address', () => {
    it('admits a burst, closes the ones past it at once, and admits again as the bucket refills', async () => {
      const gateway = await extraGateway({ connectionRate: 1, connectionBurst: 5, maxUnauthenticatedPerAddress: 1000 });
      const { port } = gateway.address();
      expect(await knockMany(port, 8)).toBe(5);
      // Another address has its own bucket.
      expect(await knockMany(port, 7, { localAddress: '127.0.0.2' })).toBe(5);
      // One new connection a second.
      await sleep(1100);
      expect(await knockMany(port, 3)).toBe(1);
      await sleep(1100);
      expect(await knockMany(port, 3)).toBe(1);
      // Six refusals from 127.0.0.1 in a few seconds: one line about it.
      const log = logs.get(gateway)!;
      expect(log.filter((l) => l.startsWith('refused a connection from 127.0.0.1:'))).toEqual(['refused a connection from 127.0.0.1: more than 1 new connections a second (burst 5)']);
      expect(log.filter((l) => l.startsWith('refused a connection from 127.0.0.2:'))).toHaveLength(1);
      await eventually(async () => (gateway.openSockets() === 0 ? true : undefined), 'every socket to close');
    });

    it('counts the address a trusted load balancer names, not the balancer', async () => {
      const gateway = await extraGateway({ connectionRate: 1, connectionBurst: 2, maxUnauthenticatedPerAddress: 1000, proxyProtocolFrom: ['127.0.0.3'] });
      const { port } = gateway.address();
      const fromBalancer = (client: string) => ({ localAddress: '127.0.0.3', preface: proxyHeader(client) });
      expect(await knockMany(port, 4, fromBalancer('203.0.113.5'))).toBe(2);
      expect(await knockMany(port, 4, fromBalancer('203.0.113.6'))).toBe(2);
      expect(logs.get(gateway)!.filter((l) => l.startsWith('refused a connection'))).toEqual([
        'refused a connection from 203.0.113.5: more than 1 new connections a second (burst 2)',
        'refused a connection from 203.0.113.6: more than 1 new connections a second (burst 2)',
      ]);
    });

    it('caps the connections of one address that have not signed in, and frees a place when one goes', async () => {
      const gateway = await extraGateway({ connectionRate: 1000, connectionBurst: 1000, maxUnauthenticatedPerAddress: 3, handshakeTimeoutMs: 60_000 });
      const { port } = gateway.address();
      const mine: Socket[] = [];
      expect(await knockMany(port, 5, { hold: mine })).toBe(3);
      expect(await knockMany(port, 4, { localAddress: '127.0.0.2', hold: held })).toBe(3);
      expect(gateway.openSockets()).toBe(6);
      mine.pop()!.destroy();
      await eventually(async () => (gateway.openSockets() === 5 ? true : undefined), 'the gateway to see the close');
      expect(await knockMany(port, 3, { hold: mine })).toBe(1);
      held.push(...mine);
      expect(logs.get(gateway)!.filter((l) => l.startsWith('refused a connection from 127.0.0.1'))).toEqual([
        'refused a connection from 127.0.0.1: 3 connections not signed in yet',
      ]);
    });

    it('does not count a connection once it has signed in', async () => {
      const gateway = await extraGateway({ connectionRate: 1000, connectionBurst: 1000, maxUnauthenticatedPerAddress: 1 });
      const clients = [await signIn(gateway.address().port), await signIn(gateway.address().port)];
      expect(gateway.liveConnections()).toBe(2);
      for (const c of clients) c.end();
    });
  });

  describe('channels open at once on one connection', () => {
    const MAX = 3;

    it(`refuses the channel past ${MAX} on the engineer's connection with a reason, and takes one again when one closes`, async () => {
      const gateway = await extraGateway({ maxOuterChannels: MAX });
      const client = await signIn(gateway.address().port);
      try {
        const opens = await Promise.allSettled(Array.from({ length: MAX + 2 }, () => forwardOut(client, 'web-1')));
        const opened = opens.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        const refused = opens.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error & { reason?: number }] : []));
        expect(opened).toHaveLength(MAX);
        expect(refused.map((e) => [e.reason, e.message])).toEqual(
          Array.from({ length: 2 }, () => [4, `(SSH) Channel open failure: too many channels open at once on this connection (at most ${MAX})`]),
        );
        opened[0]!.close();
        await eventually(async () => (await forwardOut(client, 'web-1').then(
          (s) => s,
          () => undefined,
        )), 'a place to free up', 5000);
      } finally {
        client.end();
      }
    });

    it(`refuses the session past ${MAX} on a connection to a host`, async () => {
      const gateway = await extraGateway({ maxInnerChannels: MAX });
      const outer = await signIn(gateway.address().port);
      try {
        const inner = await signIn(gateway.address().port, await forwardOut(outer, 'web-1'));
        const execs = await Promise.allSettled(Array.from({ length: MAX + 1 }, () => exec(inner, 'sleep 20')));
        expect(execs.filter((e) => e.status === 'fulfilled')).toHaveLength(MAX);
        expect(execs.flatMap((e) => (e.status === 'rejected' ? [(e.reason as Error).message] : []))).toEqual([
          `(SSH) Channel open failure: too many channels open at once on this connection (at most ${MAX})`,
        ]);
        inner.end();
      } finally {
        outer.end();
      }
    });
  });

  describe('channel windows', () => {
    // ssh2 drops a peer's data only when the window is exactly 0; one packet past it makes the
    // window negative and from then on everything is buffered (20 MB here, without end). The
    // fix belongs in patches/ssh2+1.17.0.patch (CHANNEL_DATA: disconnect a peer that sends more
    // than its window); until it is there this test documents the gap and fails on purpose.
    it('cuts off a client that sends past the window it was given instead of buffering it', { timeout: 30_000 }, async () => {
      const gateway = await extraGateway({});
      const outer = await signIn(gateway.address().port);
      try {
        const inner = await signIn(gateway.address().port, await forwardOut(outer, 'web-1'));
        const closed = new Promise<void>((resolve) => inner.once('close', () => resolve()));
        inner.on('error', () => undefined);
        // The target reads nothing: the gateway stops taking more once its window is used up.
        const stream = await exec(inner, 'sleep 20');
        (stream as unknown as { outgoing: { window: number } }).outgoing.window = 1e12;
        const chunk = Buffer.alloc(32 * 1024 - 100, 1);
        for (let i = 0; i < 640; i++) stream.write(chunk);
        const outcome = await Promise.race([closed.then(() => 'cut off'), sleep(10_000).then(() => 'still buffering')]);
        expect(outcome).toBe('cut off');
      } finally {
        outer.end();
      }
    });
  });

  describe('settings', () => {
    it('reads every limit from its flag over its variable over the default', () => {
      expect(gatewayLimits({}, {})).toEqual({
        handshakeTimeoutMs: 20_000,
        maxAuthFailures: 10,
        connectionRate: 20,
        connectionBurst: 40,
        maxUnauthenticatedPerAddress: 10,
        maxUnauthenticatedTotal: 100,
        maxOuterChannels: 64,
        maxInnerChannels: 128,
        clientAliveIntervalMs: 15_000,
        clientAliveCountMax: 3,
        maxSpoolBytes: 1024 * 1024 * 1024,
      });
      const limits = gatewayLimits(
        { connectionRate: '2.5', clientAliveInterval: '1m' },
        { ACCESS_CONNECTION_RATE: '7', ACCESS_CONNECTION_BURST: '9', ACCESS_HANDSHAKE_TIMEOUT: '45s', ACCESS_MAX_INNER_CHANNELS: '12' },
      );
      expect(limits).toMatchObject({ connectionRate: 2.5, connectionBurst: 9, handshakeTimeoutMs: 45_000, clientAliveIntervalMs: 60_000, maxInnerChannels: 12 });
    });

    it.each([
      [{ ACCESS_CONNECTION_BURST: '0' }, '--connection-burst (ACCESS_CONNECTION_BURST) must be a whole number from 1 to 100000, got "0"'],
      [{ ACCESS_MAX_OUTER_CHANNELS: '2.5' }, '--max-outer-channels (ACCESS_MAX_OUTER_CHANNELS) must be a whole number from 1 to 100000, got "2.5"'],
      [{ ACCESS_CONNECTION_RATE: 'lots' }, '--connection-rate (ACCESS_CONNECTION_RATE) must be a number above 0, up to 100000, got "lots"'],
      [{ ACCESS_CLIENT_ALIVE_INTERVAL: '2h' }, '--client-alive-interval (ACCESS_CLIENT_ALIVE_INTERVAL) must be at most 3600s, got "2h"'],
      [{ ACCESS_HANDSHAKE_TIMEOUT: 'soon' }, '--handshake-timeout (ACCESS_HANDSHAKE_TIMEOUT) "soon" is not a duration'],
    ])('refuses %o at start, naming the setting', (env, message) => {
      expect(() => gatewayLimits({}, env)).toThrow(ConfigError);
      expect(() => gatewayLimits({}, env)).toThrow(message);
    });
  });

  const signIn = (port: number, sock?: Duplex) => signInAs(engineer, 'gwlimits', port, sock);
});

function exec(client: ssh2.Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, stream) => (err ? reject(err) : resolve(stream))));
}
