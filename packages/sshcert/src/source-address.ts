import { ipToBytes } from './ip-address.ts';

/**
 * Whether `address` is allowed by a `source-address` critical option: a comma-separated
 * list of addresses and CIDR blocks, as OpenSSH reads it. IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) count as their IPv4 address. Anything unparsable allows nothing.
 */
export function sourceAddressAllows(option: string, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const client = ipToBytes(mapped ? mapped[1]! : address);
  if (!client) return false;
  return option.split(',').some((entry) => {
    const [base, bits] = entry.trim().split('/');
    const network = base === undefined ? undefined : ipToBytes(base);
    if (!network || network.length !== client.length) return false;
    const prefix = bits === undefined ? network.length * 8 : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > network.length * 8) return false;
    for (let bit = 0; bit < prefix; bit++) {
      const mask = 0x80 >> bit % 8;
      if ((network[bit >> 3]! & mask) !== (client[bit >> 3]! & mask)) return false;
    }
    return true;
  });
}
