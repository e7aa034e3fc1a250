import { BlockList, isIP } from 'node:net';
import { plainHost } from './proxy-protocol.ts';

/**
 * The load balancers whose PROXY protocol header the gateway believes. Only a peer on this
 * list may name the client: a header from anyone else would let a client forge its address
 * (sshpiper, CVE-2024-35175), so it is never read there.
 */
export interface ProxySources {
  /** The entries as configured, for logs. */
  readonly entries: readonly string[];
  /** True when a connection from this peer address must start with a PROXY header. */
  trusts(peerAddress: string): boolean;
}

export class ProxySourcesError extends Error {
  readonly code = 'ERR_PROXY_SOURCES';

  constructor(message: string) {
    super(message);
    this.name = 'ProxySourcesError';
  }
}

/**
 * Parses `--proxy-protocol-from` / ACCESS_PROXY_PROTOCOL_FROM: comma-separated addresses
 * and CIDRs (`10.0.0.5, 10.1.0.0/16, fd00::/8`). An empty value is none: PROXY protocol off.
 * Throws ProxySourcesError naming the first bad entry. The CA's ACCESS_TRUST_PROXY_FROM
 * (which proxies' X-Forwarded-For it believes) is the same kind of list: `setting` names it.
 */
export function parseProxySources(value: string | readonly string[] | undefined, setting = '--proxy-protocol-from'): ProxySources {
  const raw = typeof value === 'string' ? value.split(',') : [...(value ?? [])];
  const entries = raw.map((e) => e.trim()).filter(Boolean);
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined || address.includes('%')) {
      throw new ProxySourcesError(`${setting} takes addresses and CIDRs such as 10.0.0.5 or 10.1.0.0/16; "${entry.slice(0, 60)}" is neither`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(plainHost(address), isIP(plainHost(address)) === 4 ? 'ipv4' : type);
      continue;
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) {
      throw new ProxySourcesError(`"${entry.slice(0, 60)}": a CIDR prefix must be 0-${family === 4 ? 32 : 128}`);
    }
    // Trusting everyone is what the allow list exists to prevent.
    if (bits === 0) throw new ProxySourcesError(`"${entry.slice(0, 60)}" would trust ${setting === '--proxy-protocol-from' ? 'a PROXY header' : 'what it says of the client'} from any address; name the load balancers`);
    list.addSubnet(address, bits, type);
  }
  return {
    entries,
    trusts(peerAddress) {
      if (entries.length === 0) return false;
      const peer = plainHost(peerAddress);
      const family = isIP(peer);
      return family !== 0 && list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
