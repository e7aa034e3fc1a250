import { connect } from 'node:net';
import { SeededRandom } from '../../packages/sshcert/src/testing/fuzz-mutations.ts';

/**
 * What an unauthenticated peer can send the gateway, made from a seed: random bytes, an
 * identification line followed by random or mutated binary packets (a KEXINIT built here per
 * RFC 4253 §6 and §7.1, then bit-flipped, truncated, given absurd lengths), and
 * identification lines that are too long or never end. Shared by the test and the bench.
 */

/** The sshcert fuzzer's seeded PRNG (mulberry32) as a function: the same seed makes the same connections. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

type Random = () => number;
const int = (rand: Random, max: number) => Math.floor(rand() * max);
const randomBytes = (rand: Random, n: number) => Buffer.from(Array.from({ length: n }, () => int(rand, 256)));

const BANNER = Buffer.from('SSH-2.0-OpenSSH_9.6 fuzz\r\n');
const NAME_LISTS = [
  'curve25519-sha256,diffie-hellman-group14-sha256',
  'ssh-ed25519-cert-v01@openssh.com,ssh-ed25519',
  'aes128-ctr,aes256-gcm@openssh.com',
  'aes128-ctr,aes256-gcm@openssh.com',
  'hmac-sha2-256,hmac-sha2-512',
  'hmac-sha2-256,hmac-sha2-512',
  'none',
  'none',
  '',
  '',
];

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** An unencrypted binary packet: uint32 packet_length, byte padding_length, payload, padding (block 8, at least 4). */
export function packet(payload: Buffer, rand: Random): Buffer {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  return Buffer.concat([uint32(1 + payload.length + padding), Buffer.from([padding]), payload, randomBytes(rand, padding)]);
}

/** SSH_MSG_KEXINIT (20): cookie, ten name-lists, first_kex_packet_follows, reserved. */
export function kexinitPayload(rand: Random, lists: readonly string[] = NAME_LISTS): Buffer {
  const parts: Buffer[] = [Buffer.from([20]), randomBytes(rand, 16)];
  for (const list of lists) parts.push(uint32(Buffer.byteLength(list)), Buffer.from(list, 'latin1'));
  parts.push(Buffer.from([0]), uint32(0));
  return Buffer.concat(parts);
}

function flipBits(buf: Buffer, rand: Random, flips: number): Buffer {
  const out = Buffer.from(buf);
  for (let i = 0; i < flips; i++) {
    const at = int(rand, out.length);
    out[at] = out[at]! ^ (1 << int(rand, 8));
  }
  return out;
}

export interface FuzzCase {
  kind: string;
  /** Written in order, each chunk in its own write. */
  chunks: Buffer[];
}

const KINDS: ReadonlyArray<(rand: Random) => Buffer[]> = [
  (rand) => [randomBytes(rand, 1 + int(rand, 4096))],
  (rand) => [BANNER, randomBytes(rand, 1 + int(rand, 2048))],
  (rand) => [BANNER, packet(kexinitPayload(rand), rand)],
  (rand) => [BANNER, flipBits(packet(kexinitPayload(rand), rand), rand, 1 + int(rand, 8))],
  (rand) => {
    const p = packet(kexinitPayload(rand), rand);
    return [BANNER, p.subarray(0, int(rand, p.length))];
  },
  (rand) => {
    // Absurd or impossible packet_length.
    const p = packet(kexinitPayload(rand), rand);
    p.writeUInt32BE([0x7fffffff, 0xffffffff, 0, 1, 4, 35_000, 256 * 1024][int(rand, 7)]!, 0);
    return [BANNER, p];
  },
  (rand) => {
    // Padding length of zero, bigger than the packet, or not filling a block.
    const p = packet(kexinitPayload(rand), rand);
    p[4] = [0, 255, 3, p[4]! + 1][int(rand, 4)]!;
    return [BANNER, p];
  },
  (rand) => {
    // A name-list whose length says more than the packet holds.
    const p = kexinitPayload(rand);
    p.writeUInt32BE([0xffffffff, 0x7fffffff, p.length][int(rand, 3)]!, 17);
    return [BANNER, packet(p, rand)];
  },
  (rand) => {
    // Name-lists of junk: no algorithm in common, or overlong lists.
    const lists = NAME_LISTS.map(() => (rand() < 0.5 ? randomBytes(rand, int(rand, 300)).toString('latin1') : 'x,'.repeat(int(rand, 2000))));
    return [BANNER, packet(kexinitPayload(rand, lists), rand)];
  },
  (rand) => {
    // Messages out of order before key exchange: NEWKEYS, SERVICE_REQUEST, USERAUTH_REQUEST, CHANNEL_OPEN, anything.
    const types = [21, 5, 50, 90, 2, 4, 80, 94, int(rand, 256)];
    return [BANNER, ...Array.from({ length: 1 + int(rand, 20) }, () => packet(Buffer.concat([Buffer.from([types[int(rand, types.length)]!]), randomBytes(rand, int(rand, 64))]), rand))];
  },
  (rand) => [BANNER, packet(kexinitPayload(rand), rand), packet(kexinitPayload(rand), rand)],
  // An identification line that is too long.
  (rand) => [Buffer.from(`SSH-2.0-${'A'.repeat(8000 + int(rand, 20_000))}\r\n`)],
  // One that never ends.
  (rand) => [Buffer.from('SSH-2.0-'), Buffer.from('B'.repeat(int(rand, 4000)))],
  // Lines before the identification (clients may not send any), or a bad version.
  (rand) => [Buffer.from(rand() < 0.5 ? 'hello\r\nSSH-2.0-x\r\n' : `SSH-${int(rand, 3)}.${int(rand, 10)}-x\r\n`)],
  (rand) => [flipBits(Buffer.concat([BANNER, packet(kexinitPayload(rand), rand)]), rand, 1 + int(rand, 4))],
];

/** The `index`th connection's bytes for this seed. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const rand = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const k = int(rand, KINDS.length);
  return { kind: `case-${k}`, chunks: KINDS[k]!(rand) };
}

export interface FuzzOutcome {
  /** The gateway closed the connection before our own deadline. */
  closedByGateway: boolean;
  /** A connect or socket error (resets count: the gateway may drop a peer mid-write). */
  error: string | null;
}

/** Opens one TCP connection, writes the case, and waits for the gateway to close it or `holdMs` to pass. */
export function sendCase(port: number, fuzz: FuzzCase, holdMs: number): Promise<FuzzOutcome> {
  return new Promise((resolve) => {
    let error: string | null = null;
    let ourDeadline = false;
    const socket = connect({ host: '127.0.0.1', port });
    const deadline = setTimeout(() => {
      ourDeadline = true;
      socket.destroy();
    }, holdMs);
    socket.on('data', () => undefined);
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('connect', () => {
      for (const chunk of fuzz.chunks) socket.write(chunk);
    });
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve({ closedByGateway: !ourDeadline, error });
    });
  });
}

export interface FuzzStats {
  connections: number;
  closedByGateway: number;
  heldToDeadline: number;
  errors: number;
  errorCodes: Record<string, number>;
}

/** Runs `count` connections, `concurrency` at a time; `onProgress` is called after each. */
export async function runFuzz(options: { port: number; seed: number; count: number; concurrency: number; holdMs: number; onProgress?: (done: number) => void }): Promise<FuzzStats> {
  const stats: FuzzStats = { connections: 0, closedByGateway: 0, heldToDeadline: 0, errors: 0, errorCodes: {} };
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const outcome = await sendCase(options.port, fuzzCase(options.seed, next++), options.holdMs);
      stats.connections++;
      if (outcome.closedByGateway) stats.closedByGateway++;
      else stats.heldToDeadline++;
      if (outcome.error) {
        stats.errors++;
        stats.errorCodes[outcome.error] = (stats.errorCodes[outcome.error] ?? 0) + 1;
      }
      options.onProgress?.(stats.connections);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}
