import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from './gateway-keys.ts';
import { dialUpstream, UpstreamError } from './upstream-dialer.ts';

describe('dialing a target that drops the connection', () => {
  let server: Server | undefined;
  const accepted = new Set<Socket>();
  afterEach(async () => {
    for (const socket of accepted) socket.destroy();
    accepted.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** A target that accepts TCP and then `misbehave`s before any SSH. */
  async function target(misbehave: (socket: Socket) => void): Promise<number> {
    server = createServer((socket) => {
      accepted.add(socket);
      misbehave(socket);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it.each([
    ['resets it before the SSH banner', (s: Socket) => s.resetAndDestroy()],
    ['closes it before the SSH banner', (s: Socket) => s.end()],
    ['sends garbage and resets', (s: Socket) => s.write('not ssh\r\n', () => s.resetAndDestroy())],
    ['says nothing until the dial times out', () => undefined],
  ])('rejects with an UpstreamError when it %s, and the second error ssh2 reports on close ends nothing', async (_what, misbehave) => {
    const port = await target(misbehave);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const dial = dialUpstream({
        target: { name: 'web-1', address: `127.0.0.1:${port}` },
        login: 'alice',
        privateKey: generateKeyPair('test').privateKey,
        hostCaKeys: () => [],
        // The CA's answer is never used: the target goes away before the sign-in.
        authorize: async () => ({ upstreamCertificate: 'unused' }),
        connectTimeoutMs: 500,
        now: () => new Date(),
      });
      await expect(dial).rejects.toBeInstanceOf(UpstreamError);
      // Let the socket's close (and ssh2's error about it) happen.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
