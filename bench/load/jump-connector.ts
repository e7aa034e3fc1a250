/**
 * An engineer's `ssh -J gateway web-1` as in-process ssh2 clients, like bench/gateway's
 * connectors but with TCP_NODELAY on the engineer's socket, as the OpenSSH client sets it
 * for interactive sessions. Without it each keystroke's echo waited about 40 ms (Nagle on
 * the client socket against the peer's delayed ACK), on the direct path too, which would
 * hide everything the gateway adds.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type PublicKeyAuthMethod } from 'ssh2';
import { parseCertificate, verifyCertificate, type SshPublicKey } from '@access/sshcert';
import { clientKeyWithCertificate, HOST_CERT_ALGORITHMS } from '../../services/gateway/src/ssh/certificate-keys.ts';
import { LOGIN, TARGET_NAME, type BenchStack } from '../gateway/bench-stack.ts';
import type { Ssh2Connect } from '../gateway/ssh2-paths.ts';
import { sourceAddress } from '../login/cli-http.ts';

/** What bench/gateway's ssh2 paths use on every hop. */
const CIPHER = 'aes128-gcm@openssh.com';

function tcpConnect(port: number, localAddress: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** One SSH connection over `sock`, checking that the host certificate names `name`. */
function sshOver(sock: Duplex, name: string, auth: PublicKeyAuthMethod, hostCaKey: SshPublicKey, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      sock.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no SSH session with ${name} within ${timeoutMs} ms`)), timeoutMs);
    // Errors after the handshake end the connection; whoever uses it sees the close.
    client.on('error', (error) => fail(error));
    client.once('close', () => fail(new Error(`${name} closed the connection during the handshake`)));
    client.once('ready', () => {
      settled = true;
      clearTimeout(timer);
      resolve(client);
    });
    client.connect({
      sock,
      username: LOGIN,
      authHandler: [auth],
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS], cipher: [CIPHER] },
      hostVerifier: (blob: Buffer) => {
        try {
          verifyCertificate(parseCertificate(blob), { trustedCaKeys: [hostCaKey], type: 'host', now: new Date(), principal: name });
          return true;
        } catch {
          return false;
        }
      },
    });
  });
}

function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel))));
}

/**
 * `ssh -J 127.0.0.1:<gateway> web-1`: each call is one engineer's new pair of connections.
 * Each comes from its own loopback address (127.1.x.y, as in the login bench), as engineers
 * on their own machines would: the gateway limits new and not-yet-signed-in connections
 * per client address, and this load is many people, not one.
 */
export function gatewayJump(stack: BenchStack, timeoutMs = 30_000): Ssh2Connect {
  const auth: PublicKeyAuthMethod = { type: 'publickey', username: LOGIN, key: clientKeyWithCertificate(stack.engineer.privateKeyText, stack.engineer.certificate) };
  let next = 0;
  return async () => {
    const socket = await tcpConnect(stack.gatewayPort, sourceAddress(next++), timeoutMs);
    const outer = await sshOver(socket, '127.0.0.1', auth, stack.hostCaKey, timeoutMs);
    try {
      // The gateway resolves the enrolled name itself.
      const channel = await forwardOut(outer, TARGET_NAME, 22);
      const inner = await sshOver(channel, TARGET_NAME, auth, stack.hostCaKey, timeoutMs);
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
  };
}
