/**
 * The three paths as in-process ssh2 clients (the patched ssh2 the gateway uses), for the
 * measurements that need many sessions or exact timing. A jump is done the way `ssh -J`
 * does it: connect to the jump host, open a direct-tcpip channel to the target, and run a
 * second SSH connection inside that channel. Every hop checks the host certificate.
 */
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type PseudoTtyOptions, type PublicKeyAuthMethod } from 'ssh2';
import { parseCertificate, verifyCertificate, type SshPublicKey } from '@access/sshcert';
import { clientKeyWithCertificate, HOST_CERT_ALGORITHMS } from '../../services/gateway/src/ssh/certificate-keys.ts';
import { LOGIN, TARGET_NAME, type BenchStack } from './bench-stack.ts';

export type PathName = 'gateway' | 'bastion' | 'direct';
export const PATH_NAMES: readonly PathName[] = ['gateway', 'bastion', 'direct'];
export const PATH_LABELS: Readonly<Record<PathName, string>> = {
  gateway: 'access gateway (ssh -J)',
  bastion: 'OpenSSH bastion (ssh -J)',
  direct: 'direct to the target',
};

/** The same cipher on every hop of every path, so the paths differ only in what is in between. */
const CIPHER = 'aes128-gcm@openssh.com';

export interface Ssh2Link {
  /** The connection to the target (through the jump host, if any). */
  client: Client;
  /** Ends the target connection and the jump connection. */
  close(): void;
}

export type Ssh2Connect = () => Promise<Ssh2Link>;

export type Endpoint = { host: string; port: number } | { sock: Duplex };

interface Hop {
  endpoint: Endpoint;
  /** The name the presented host certificate must carry. */
  name: string;
}

function connectHop(hop: Hop, auth: PublicKeyAuthMethod, hostCaKey: SshPublicKey, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no SSH session with ${hop.name} within ${timeoutMs} ms`)), timeoutMs);
    // Errors after the handshake end the connection; the session's own handlers see that.
    client.on('error', (error) => fail(error));
    client.once('close', () => fail(new Error(`${hop.name} closed the connection during the handshake`)));
    client.once('ready', () => {
      settled = true;
      clearTimeout(timer);
      // As the OpenSSH client does for an interactive session: no Nagle delay on a keystroke
      // (a TCP hop only; a hop inside a channel has no socket of its own).
      client.setNoDelay(true);
      resolve(client);
    });
    const config: ConnectConfig = {
      ...hop.endpoint,
      username: LOGIN,
      authHandler: [auth],
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS], cipher: [CIPHER] },
      hostVerifier: (blob: Buffer) => {
        try {
          verifyCertificate(parseCertificate(blob), { trustedCaKeys: [hostCaKey], type: 'host', now: new Date(), principal: hop.name });
          return true;
        } catch {
          return false;
        }
      },
    };
    client.connect(config);
  });
}

function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel))));
}

/** The engineer's certificate as ssh2 offers it. */
export const engineerAuth = (stack: BenchStack): PublicKeyAuthMethod => ({
  type: 'publickey',
  username: LOGIN,
  key: clientKeyWithCertificate(stack.engineer.privateKeyText, stack.engineer.certificate),
});

/**
 * `ssh -J`: an SSH connection to the jump host at `jumpHost` (a port on 127.0.0.1, or a socket
 * already connected), a direct-tcpip channel to `destination`, and the connection to the
 * target inside it. Closing the target connection closes the jump connection.
 */
export async function jumpThrough(jumpHost: Endpoint, destination: { host: string; port: number }, auth: PublicKeyAuthMethod, hostCaKey: SshPublicKey, timeoutMs: number): Promise<Ssh2Link> {
  const outer = await connectHop({ endpoint: jumpHost, name: '127.0.0.1' }, auth, hostCaKey, timeoutMs);
  try {
    const channel = await forwardOut(outer, destination.host, destination.port);
    const inner = await connectHop({ endpoint: { sock: channel }, name: TARGET_NAME }, auth, hostCaKey, timeoutMs);
    inner.once('close', () => outer.end());
    return {
      client: inner,
      close: () => {
        inner.end();
        outer.end();
      },
    };
  } catch (error) {
    outer.end();
    throw error;
  }
}

/** ssh2 connectors for the gateway, the bastion and the direct path. */
export function ssh2Connectors(stack: BenchStack, timeoutMs = 30_000): Record<PathName, Ssh2Connect> {
  const auth = engineerAuth(stack);
  const jump = (jumpPort: number, destination: { host: string; port: number }) => jumpThrough({ host: '127.0.0.1', port: jumpPort }, destination, auth, stack.hostCaKey, timeoutMs);
  return {
    // The gateway resolves the enrolled name; the bastion is given the target's address.
    gateway: () => jump(stack.gatewayPort, { host: TARGET_NAME, port: 22 }),
    bastion: () => jump(stack.bastionPort, { host: '127.0.0.1', port: stack.targetPort }),
    direct: async () => {
      const client = await connectHop({ endpoint: { host: '127.0.0.1', port: stack.targetPort }, name: TARGET_NAME }, auth, stack.hostCaKey, timeoutMs);
      return { client, close: () => client.end() };
    },
  };
}

export const TERMINAL: PseudoTtyOptions = { term: 'xterm', cols: 80, rows: 24 };

/** Runs `command` in a pseudo-terminal. */
export function execInTerminal(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, { pty: TERMINAL }, (error, channel) => (error ? reject(error) : resolve(channel))));
}

/** Opens an interactive login shell in a pseudo-terminal, as `ssh host` does. */
export function openShell(client: Client): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.shell(TERMINAL, (error, channel) => (error ? reject(error) : resolve(channel))));
}
