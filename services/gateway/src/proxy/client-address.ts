import type { Socket } from 'node:net';
import { readProxyHeader, type ProxyHeaderLimits } from './proxy-header-reader.ts';
import { plainHost } from './proxy-protocol.ts';
import type { ProxySources } from './proxy-sources.ts';

/**
 * The address of the engineer behind a new connection. From a configured load balancer it
 * is what the balancer's PROXY header says (required: without one the connection is
 * refused), or the balancer itself for LOCAL and UNKNOWN. From anyone else it is the peer,
 * and the first bytes go untouched to the SSH server, so a PROXY header there is just a
 * bad SSH greeting: a client cannot name its own address.
 */
export async function clientAddressOf(socket: Socket, sources: ProxySources, limits: ProxyHeaderLimits): Promise<string> {
  const peer = plainHost(socket.remoteAddress ?? '');
  if (!sources.trusts(peer)) return peer;
  const header = await readProxyHeader(socket, limits);
  return header.address?.host ?? peer;
}
