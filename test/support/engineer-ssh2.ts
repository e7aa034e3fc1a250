import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type PublicKeyAuthMethod } from 'ssh2';
import { clientKeyWithCertificate, HOST_CERT_ALGORITHMS } from '../../services/gateway/src/ssh/certificate-keys.ts';
import type { Engineer } from './gateway-stack.ts';

/**
 * An in-process ssh2 client signed in as `engineer` with their certificate: to the gateway
 * at `port`, or, over `sock` (a channel from `forwardOut`), to a host through it.
 */
export function signInAs(engineer: Engineer, login: string, port: number, sock?: Duplex): Promise<ssh2.Client> {
  const key = join(engineer.home, 'key');
  const method: PublicKeyAuthMethod = {
    type: 'publickey',
    username: login,
    key: clientKeyWithCertificate(readFileSync(key), readFileSync(`${key}-cert.pub`, 'utf8').trim()),
  };
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      ...(sock ? { sock: sock as never } : { host: '127.0.0.1', port }),
      username: login,
      authHandler: [method],
      algorithms: { serverHostKey: [...HOST_CERT_ALGORITHMS] } as never,
      readyTimeout: 20_000,
    });
  });
}

/** A direct-tcpip channel to `host`:22 through the gateway, as `ssh -J` opens. */
export function forwardOut(client: ssh2.Client, host: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, host, 22, (err, stream) => (err ? reject(err) : resolve(stream))));
}
