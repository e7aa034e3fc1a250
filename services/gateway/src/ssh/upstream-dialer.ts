import { connect as netConnect, type Socket } from 'node:net';
import ssh2, { type Client as SshClient } from 'ssh2';
import { parseCertificate, type SshPublicKey } from '@access/sshcert';
import { CIPHERS, KEX, MACS } from './algorithms.ts';
import { verifyAllowingSkew } from './certificate-auth.ts';
import { clientKeyWithCertificate, HOST_CERT_ALGORITHMS } from './certificate-keys.ts';

export interface UpstreamTarget {
  /** The enrolled host name: its host certificate must name it. */
  name: string;
  /** host:port */
  address: string;
}

export interface DialOptions<G> {
  target: UpstreamTarget;
  login: string;
  /** The gateway's upstream private key (OpenSSH format). */
  privateKey: string;
  hostCaKeys: () => readonly SshPublicKey[];
  /** Asks the CA for the session certificate once the source address is known. */
  authorize: (sourceAddress: string) => Promise<G & { upstreamCertificate: string }>;
  connectTimeoutMs: number;
  now: () => Date;
  /** How far ahead of the gateway's clock a target's host certificate may start (ms); CLOCK_TOLERANCE_MS unless given. */
  clockToleranceMs?: number;
}

export class UpstreamError extends Error {}

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!m) throw new UpstreamError(`bad target address ${address}`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

/** `::ffff:10.0.0.5` → `10.0.0.5`: an IPv4 peer on a dual-stack socket, as people and certificates write it. */
export const plainAddress = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/**
 * Signs in to a target as `login` with a certificate from the upstream CA, made for this
 * connection and the address the target sees. The target must present a host certificate
 * from the host CA naming the enrolled host; there is no trust on first use.
 */
export async function dialUpstream<G>(options: DialOptions<G>): Promise<{ client: SshClient; grant: G }> {
  const { host, port } = splitHostPort(options.target.address);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UpstreamError(`${options.target.name} (${options.target.address}) did not answer within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (error) => {
      clearTimeout(timer);
      reject(new UpstreamError(`cannot reach ${options.target.name} at ${options.target.address}: ${error.message}`));
    });
  });

  const granted = options.authorize(plainAddress(socket.localAddress ?? ''));
  // Settled here so an early refusal is not an unhandled rejection while the handshake runs.
  granted.catch(() => socket.destroy());

  const client = new ssh2.Client();
  let hostProblem: string | null = null;
  let attempted = false;
  const ready = new Promise<void>((resolve, reject) => {
    // ssh2's readyTimeout starts only once it sees the socket connect, which happened before it
    // was handed the socket; and a socket closed in between is never seen at all. Both bounded here.
    const timer = setTimeout(
      () => reject(new UpstreamError(hostProblem ?? `${options.target.name} did not complete the SSH sign-in within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    const fail = (error: UpstreamError) => {
      clearTimeout(timer);
      reject(error);
    };
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    // `on`, not `once`: a dial that fails can report a second error as its socket closes
    // ("Connection lost before handshake"), which must not end the process.
    client.on('error', (error: Error & { level?: string }) => {
      fail(new UpstreamError(hostProblem ?? `${options.target.name}: ${error.level === 'client-authentication' ? `the target refused the login "${options.login}" (does its sshd trust the upstream CA, and does the account exist?)` : error.message}`));
    });
    const closed = () => fail(new UpstreamError(hostProblem ?? `${options.target.name} closed the connection during sign-in`));
    client.once('close', closed);
    socket.once('close', closed);
    if (socket.destroyed || !socket.writable) closed();
  });
  client.connect({
    sock: socket,
    username: options.login,
    readyTimeout: options.connectTimeoutMs,
    keepaliveInterval: 30_000,
    algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS], cipher: CIPHERS, kex: KEX, hmac: MACS } as never,
    hostVerifier: (blob: Buffer) => {
      try {
        const cert = parseCertificate(blob);
        verifyAllowingSkew(cert, { trustedCaKeys: options.hostCaKeys(), type: 'host', now: options.now(), principal: options.target.name, toleranceMs: options.clockToleranceMs });
        return true;
      } catch (error) {
        hostProblem = `${options.target.name} presented a host certificate the gateway does not trust: ${(error as Error).message}`;
        return false;
      }
    },
    authHandler: (_methods: unknown, _partial: unknown, next: (method: unknown) => void) => {
      // One attempt: a refused certificate is not retried.
      if (attempted) return next(false);
      attempted = true;
      granted.then(
        (g) => next({ type: 'publickey', username: options.login, key: clientKeyWithCertificate(options.privateKey, g.upstreamCertificate) } as never),
        () => next(false as never),
      );
    },
  } as never);
  try {
    const [grant] = await Promise.all([granted, ready]);
    return { client, grant };
  } catch (error) {
    client.end();
    socket.destroy();
    // The CA's refusal says more than the connection dropping because of it.
    throw await granted.then(
      () => error,
      (refusal: unknown) => refusal,
    );
  }
}
