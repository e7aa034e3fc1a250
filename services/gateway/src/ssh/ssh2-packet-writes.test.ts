/**
 * The patched ssh2 (patches/ssh2+1.17.0.patch) sends every SSH packet in one socket write:
 * length, ciphertext and MAC or tag together. Unpatched, it writes them as two or three
 * pieces, and on a TCP_NODELAY socket each piece is a segment of its own and a wakeup of
 * the peer; through the gateway an inner packet's pieces even became three outer packets.
 * An ssh2 client and an ssh2 server talk over loopback here with each cipher ssh2 can run,
 * and every write either side makes after the handshake is checked to be one whole packet.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import ssh2, { type Algorithms, type Client, type Connection } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface CipherCase {
  cipher: string;
  mac?: string;
  /** Whether a packet's length field is sent in the clear (AES-GCM and encrypt-then-MAC). */
  clearLength: boolean;
  blockLen: number;
  /** MAC or tag bytes after the packet. */
  macLen: number;
}

const CASES: CipherCase[] = [
  { cipher: 'aes128-gcm@openssh.com', clearLength: true, blockLen: 16, macLen: 16 },
  { cipher: 'aes256-gcm@openssh.com', clearLength: true, blockLen: 16, macLen: 16 },
  { cipher: 'aes128-ctr', mac: 'hmac-sha2-256-etm@openssh.com', clearLength: true, blockLen: 16, macLen: 32 },
  { cipher: 'aes128-ctr', mac: 'hmac-sha2-256', clearLength: false, blockLen: 16, macLen: 32 },
  { cipher: 'chacha20-poly1305@openssh.com', clearLength: false, blockLen: 8, macLen: 16 },
];

/** Records what is written to `socket` from the moment `recording.on` is set. */
function countWrites(socket: Socket): { on: boolean; chunks: Buffer[] } {
  const recording = { on: false, chunks: [] as Buffer[] };
  const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    if (recording.on) recording.chunks.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof socket.write;
  return recording;
}

/** Why `chunk` is not exactly one SSH packet under `c`, or undefined if it is. */
function notOnePacket(chunk: Buffer, c: CipherCase): string | undefined {
  if (c.clearLength) {
    if (chunk.length < 4) return `a ${chunk.length}-byte write`;
    const expected = 4 + chunk.readUInt32BE(0) + c.macLen;
    return chunk.length === expected ? undefined : `a ${chunk.length}-byte write for a ${expected}-byte packet`;
  }
  // The length is encrypted: a whole packet is at least one block and a MAC long, and its
  // encrypted part is a whole number of blocks (chacha20-poly1305 leaves the 4-byte length out).
  const lengthOutside = c.cipher.startsWith('chacha20') ? 4 : 0;
  const body = chunk.length - c.macLen - lengthOutside;
  return body >= Math.max(c.blockLen, 8) && body % c.blockLen === 0 ? undefined : `a ${chunk.length}-byte write`;
}

describe('the patched ssh2 writes each packet whole', () => {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const serverWrites: Array<ReturnType<typeof countWrites>> = [];
  let listener: NetServer;
  let port = 0;

  beforeAll(async () => {
    listener = createServer((socket) => {
      socket.setNoDelay(true);
      serverWrites.push(countWrites(socket));
      const algorithms: Algorithms = { cipher: CASES.map((c) => c.cipher) as never, hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'] as never };
      const server = new ssh2.Server({ hostKeys: [hostKey], algorithms }, (client: Connection) => {
        client.on('authentication', (ctx) => ctx.accept());
        client.on('session', (accept) => {
          accept().on('exec', (acceptExec) => {
            // Echoes what it is sent, then ends with status 0.
            const channel = acceptExec();
            channel.on('data', (data: Buffer) => channel.write(data));
            channel.on('end', () => {
              channel.exit(0);
              channel.end();
            });
          });
        });
      });
      server.injectSocket(socket);
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  for (const c of CASES) {
    it(`${c.cipher}${c.mac ? ` with ${c.mac}` : ''}: data arrives intact, and every write after the handshake is one packet`, async () => {
      const socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      const clientWrites = countWrites(socket);
      const serversBefore = serverWrites.length;
      const client: Client = new ssh2.Client();
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve()).once('error', reject);
        client.connect({ sock: socket, username: 'u', password: 'p', algorithms: { cipher: [c.cipher], ...(c.mac ? { hmac: [c.mac] } : {}) } as never });
      });
      const serverSide = serverWrites[serversBefore]!;
      clientWrites.on = true;
      serverSide.on = true;

      const sent = Buffer.concat([Buffer.from('x'), randomBytes(100_000), Buffer.from('y')]);
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        client.exec('echo', (error, channel) => {
          if (error) return reject(error);
          const parts: Buffer[] = [];
          channel.on('data', (data: Buffer) => parts.push(data));
          channel.on('close', () => resolve(Buffer.concat(parts)));
          // One keystroke alone first, then a bulk write that spans many packets.
          channel.write(sent.subarray(0, 1));
          channel.end(sent.subarray(1));
        });
      });
      client.end();

      expect(echoed.equals(sent)).toBe(true);
      // The bulk data alone is several packets each way, so both sides wrote many times.
      expect(clientWrites.chunks.length).toBeGreaterThan(4);
      expect(serverSide.chunks.length).toBeGreaterThan(4);
      expect(clientWrites.chunks.map((chunk) => notOnePacket(chunk, c)).filter(Boolean)).toEqual([]);
      expect(serverSide.chunks.map((chunk) => notOnePacket(chunk, c)).filter(Boolean)).toEqual([]);
    });
  }
});
