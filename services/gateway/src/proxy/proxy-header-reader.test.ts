import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readProxyHeader } from './proxy-header-reader.ts';

/** A loopback server whose accepted sockets go to the test; the client side writes. */
async function pair(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  let take: (s: Socket) => void = () => undefined;
  const acceptedP = new Promise<Socket>((r) => (take = r));
  const server = createServer((s) => take(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const client = createConnection(port, '127.0.0.1');
  return { server, client, accepted: await acceptedP };
}

const readAll = (socket: Socket): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.resume();
  });

describe('reading a PROXY header off a socket', () => {
  const open: Array<{ server: Server; client: Socket; accepted: Socket }> = [];
  afterEach(() => {
    for (const p of open.splice(0)) {
      p.client.destroy();
      p.accepted.destroy();
      p.server.close();
    }
  });
  const connect = async () => {
    const p = await pair();
    open.push(p);
    return p;
  };

  it('takes a header sent in pieces and leaves what follows it for the next reader', async () => {
    const { client, accepted } = await connect();
    const reading = readProxyHeader(accepted, { timeoutMs: 2000, maxLength: 4096 });
    client.write('PROXY TCP4 203.0.113.7 ');
    await new Promise((r) => setTimeout(r, 30));
    client.end('127.0.0.1 5000 22\r\nSSH-2.0-client\r\n');
    const header = await reading;
    expect(header.address).toEqual({ host: '203.0.113.7', port: 5000 });
    expect(await readAll(accepted)).toBe('SSH-2.0-client\r\n');
  });

  it('gives up on a header that is too slow', async () => {
    const { client, accepted } = await connect();
    const started = Date.now();
    const reading = readProxyHeader(accepted, { timeoutMs: 200, maxLength: 4096 });
    client.write('PROXY TCP4 203.0.113.7');
    await expect(reading).rejects.toThrow(/within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses a connection that sends no header, and one that ends mid-header', async () => {
    const a = await connect();
    const plain = readProxyHeader(a.accepted, { timeoutMs: 2000, maxLength: 4096 });
    a.client.write('SSH-2.0-OpenSSH_9.2\r\n');
    await expect(plain).rejects.toMatchObject({ code: 'ERR_PROXY_PROTOCOL' });
    const b = await connect();
    const cut = readProxyHeader(b.accepted, { timeoutMs: 2000, maxLength: 4096 });
    b.client.end('PROXY TCP4 1.2.3.4');
    await expect(cut).rejects.toThrow(/ended before/);
  });

  it('refuses a v2 header longer than the bound without waiting for it', async () => {
    const { client, accepted } = await connect();
    const reading = readProxyHeader(accepted, { timeoutMs: 2000, maxLength: 256 });
    client.write(Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), Buffer.from([0x21, 0x11, 0x04, 0x00])]));
    await expect(reading).rejects.toThrow(/at most 256/);
  });
});
