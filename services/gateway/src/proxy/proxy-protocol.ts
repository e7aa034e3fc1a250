import { isIPv4, isIPv6 } from 'node:net';

/**
 * The PROXY protocol (HAProxy's, versions 1 and 2): a TCP load balancer prepends one header
 * naming the client it accepted the connection from. This module parses that header from
 * the first bytes of a connection; it never reads a socket (proxy-header-reader.ts does).
 */

/** What a complete header says. `address` is null for LOCAL and UNKNOWN: use the peer's address. */
export interface ProxyHeader {
  version: 1 | 2;
  address: { host: string; port: number } | null;
  /** Bytes the header took: what follows is the client's own stream. */
  length: number;
}

export class ProxyProtocolError extends Error {
  readonly code = 'ERR_PROXY_PROTOCOL';

  constructor(message: string) {
    super(message);
    this.name = 'ProxyProtocolError';
  }
}

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** A v1 header, CRLF included, is at most 107 bytes. */
export const V1_MAX_LENGTH = 107;
const V2_FIXED = 16;

/**
 * Parses a header at the start of `data`. Returns null while `data` may still be the
 * beginning of a valid header; throws ProxyProtocolError when it cannot be one, or when a
 * v2 header would be longer than `maxLength` bytes.
 */
export function parseProxyHeader(data: Buffer, maxLength: number): ProxyHeader | null {
  if (startsLike(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? null : parseV1(data);
  if (startsLike(data, V2_SIGNATURE)) return data.length < V2_SIGNATURE.length ? null : parseV2(data, maxLength);
  throw new ProxyProtocolError('the connection did not start with a PROXY protocol header');
}

/** True when `data` and `prefix` agree on their common length. */
function startsLike(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(data: Buffer): ProxyHeader | null {
  const end = data.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    if (data.length >= V1_MAX_LENGTH) throw new ProxyProtocolError(`a PROXY v1 header longer than ${V1_MAX_LENGTH} bytes`);
    return null;
  }
  const length = end + 2;
  if (length > V1_MAX_LENGTH) throw new ProxyProtocolError(`a PROXY v1 header longer than ${V1_MAX_LENGTH} bytes`);
  const line = data.subarray(0, end).toString('latin1');
  const fields = line.split(' ');
  if (fields[1] === 'UNKNOWN') return { version: 1, address: null, length };
  if (fields.length !== 6) throw new ProxyProtocolError('a PROXY v1 header must be "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>"');
  const [, family, source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string, string];
  const isFamily = family === 'TCP4' ? isIPv4 : family === 'TCP6' ? isIPv6 : null;
  if (!isFamily) throw new ProxyProtocolError(`unknown PROXY v1 protocol "${family.slice(0, 16)}"`);
  // A zone index (fe80::1%eth0) names an interface of the sender, not an address.
  if (!isFamily(source) || !isFamily(destination) || line.includes('%')) throw new ProxyProtocolError(`a PROXY v1 ${family} header with an address that is not ${family === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  const port = v1Port(sourcePort);
  v1Port(destinationPort);
  return { version: 1, address: { host: plainHost(source), port }, length };
}

function v1Port(text: string): number {
  // Decimal, no sign, no leading zero (the specification's form).
  if (!/^(0|[1-9]\d{0,4})$/.test(text) || Number(text) > 65_535) throw new ProxyProtocolError(`"${text.slice(0, 8)}" is not a port`);
  return Number(text);
}

function parseV2(data: Buffer, maxLength: number): ProxyHeader | null {
  if (data.length < V2_FIXED) return null;
  const versionCommand = data[12]!;
  if (versionCommand >> 4 !== 2) throw new ProxyProtocolError(`PROXY v2 signature with version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProxyProtocolError(`unknown PROXY v2 command ${command}`);
  const length = V2_FIXED + data.readUInt16BE(14);
  if (length > maxLength) throw new ProxyProtocolError(`a PROXY v2 header of ${length} bytes; at most ${maxLength} are read`);
  if (data.length < length) return null;
  // LOCAL: the balancer's own connection (a health check): the peer is who it says.
  if (command === 0) return { version: 2, address: null, length };
  const family = data[13]! >> 4;
  const transport = data[13]! & 0x0f;
  const body = data.subarray(V2_FIXED, length);
  if (family === 0 || family === 3) return { version: 2, address: null, length }; // UNSPEC, or a UNIX socket
  if (family > 3) throw new ProxyProtocolError(`unknown PROXY v2 address family ${family}`);
  if (transport !== 1) throw new ProxyProtocolError('a PROXY v2 header for something other than a TCP stream');
  if (family === 1) {
    if (body.length < 12) throw new ProxyProtocolError('a PROXY v2 IPv4 header too short for its addresses');
    return { version: 2, address: { host: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) }, length };
  }
  if (body.length < 36) throw new ProxyProtocolError('a PROXY v2 IPv6 header too short for its addresses');
  return { version: 2, address: { host: plainHost(formatIPv6(body.subarray(0, 16))), port: body.readUInt16BE(32) }, length };
}

/** RFC 5952 text for 16 address bytes: lowercase, the longest run of two or more zero groups as "::". */
export function formatIPv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`) as plain IPv4, as the gateway names peers. */
export function plainHost(host: string): string {
  const lower = host.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [a, b] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return [a >> 8, a & 0xff, b >> 8, b & 0xff].join('.');
  }
  return lower;
}
