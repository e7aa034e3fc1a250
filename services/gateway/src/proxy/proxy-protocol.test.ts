import { describe, expect, it } from 'vitest';
import { formatIPv6, parseProxyHeader, ProxyProtocolError } from './proxy-protocol.ts';

const MAX = 4096;
const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: command 1 (PROXY) or 0 (LOCAL), family/transport byte, then the address block. */
function v2(command: number, familyTransport: number, body: Buffer): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x20 | command;
  fixed[1] = familyTransport;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, fixed, body]);
}

function inet4(src: string, sport: number, dst = '10.0.0.1', dport = 22): Buffer {
  const b = Buffer.alloc(12);
  src.split('.').forEach((o, i) => (b[i] = Number(o)));
  dst.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

const parse = (data: Buffer | string) => parseProxyHeader(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, MAX);

describe('PROXY protocol v1', () => {
  it('reads an IPv4 client and says how long the header was', () => {
    const header = 'PROXY TCP4 203.0.113.7 10.0.0.1 51234 22\r\n';
    expect(parse(`${header}SSH-2.0-OpenSSH_9.2\r\n`)).toEqual({ version: 1, address: { host: '203.0.113.7', port: 51234 }, length: header.length });
  });

  it('reads an IPv6 client, lowercased, and an IPv4-mapped one as IPv4', () => {
    expect(parse('PROXY TCP6 2001:DB8::1 2001:db8::2 4000 22\r\n')!.address).toEqual({ host: '2001:db8::1', port: 4000 });
    expect(parse('PROXY TCP6 ::ffff:198.51.100.9 ::1 4000 22\r\n')!.address).toEqual({ host: '198.51.100.9', port: 4000 });
  });

  it('takes UNKNOWN as "use the peer address"', () => {
    expect(parse('PROXY UNKNOWN\r\n')).toEqual({ version: 1, address: null, length: 15 });
    expect(parse('PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n')!.address).toBeNull();
  });

  it('waits for more on a truncated header', () => {
    expect(parse('PRO')).toBeNull();
    expect(parse('PROXY TCP4 203.0.113.7 10.0.0.1 512')).toBeNull();
  });

  it.each([
    ['a wrong family', 'PROXY TCP5 1.2.3.4 1.2.3.5 1 2\r\n'],
    ['an IPv6 address in TCP4', 'PROXY TCP4 ::1 1.2.3.5 1 2\r\n'],
    ['an address that is not one', 'PROXY TCP4 1.2.3.400 1.2.3.5 1 2\r\n'],
    ['a port out of range', 'PROXY TCP4 1.2.3.4 1.2.3.5 65536 22\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 1.2.3.5 022 22\r\n'],
    ['a missing field', 'PROXY TCP4 1.2.3.4 1.2.3.5 22\r\n'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 1.2.3.5 1 22\r\n'],
    ['a zone index', 'PROXY TCP6 fe80::1%eth0 fe80::2 1 22\r\n'],
    ['lowercase', 'proxy TCP4 1.2.3.4 1.2.3.5 1 22\r\n'],
    ['an SSH greeting', 'SSH-2.0-OpenSSH_9.2\r\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parse(text)).toThrow(ProxyProtocolError);
  });

  it('refuses a line longer than 107 bytes, complete or not', () => {
    expect(() => parse(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`)).toThrow(/longer than 107/);
    expect(() => parse(`PROXY TCP4 ${'1'.repeat(120)}`)).toThrow(/longer than 107/);
  });
});

describe('PROXY protocol v2', () => {
  it('reads an IPv4 client over TCP', () => {
    const header = v2(1, 0x11, inet4('192.0.2.44', 40_000));
    const data = Buffer.concat([header, Buffer.from('SSH-2.0-x\r\n')]);
    expect(parseProxyHeader(data, MAX)).toEqual({ version: 2, address: { host: '192.0.2.44', port: 40_000 }, length: 28 });
  });

  it('reads an IPv6 client and skips TLVs after the addresses', () => {
    const body = Buffer.alloc(36 + 7);
    Buffer.from('20010db8000000000000000000000abc', 'hex').copy(body, 0);
    Buffer.from('00000000000000000000000000000001', 'hex').copy(body, 16);
    body.writeUInt16BE(5555, 32);
    body.writeUInt16BE(22, 34);
    Buffer.from([0x04, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64]).copy(body, 36); // a NOOP TLV
    expect(parseProxyHeader(v2(1, 0x21, body), MAX)).toEqual({ version: 2, address: { host: '2001:db8::abc', port: 5555 }, length: 16 + 43 });
  });

  it('takes LOCAL, UNSPEC and UNIX as "use the peer address"', () => {
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)), MAX)).toEqual({ version: 2, address: null, length: 16 });
    expect(parseProxyHeader(v2(0, 0x11, inet4('192.0.2.44', 1)), MAX)!.address).toBeNull();
    expect(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)), MAX)!.address).toBeNull();
    expect(parseProxyHeader(v2(1, 0x31, Buffer.alloc(216)), MAX)!.address).toBeNull();
  });

  it('waits for more on a truncated header', () => {
    const header = v2(1, 0x11, inet4('192.0.2.44', 40_000));
    for (const n of [1, 11, 12, 15, 16, 27]) expect(parseProxyHeader(header.subarray(0, n), MAX)).toBeNull();
  });

  it('refuses a header longer than the bound before reading its body', () => {
    const fixed = Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    expect(() => parseProxyHeader(fixed, MAX)).toThrow(/65551 bytes; at most 4096/);
  });

  it.each([
    ['version 1 in the v2 signature', Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0, 12]), inet4('1.2.3.4', 1)])],
    ['an unknown command', v2(2, 0x11, inet4('1.2.3.4', 1))],
    ['an unknown family', v2(1, 0x41, inet4('1.2.3.4', 1))],
    ['UDP', v2(1, 0x12, inet4('1.2.3.4', 1))],
    ['an IPv4 block too short', v2(1, 0x11, Buffer.alloc(8))],
    ['an IPv6 block too short', v2(1, 0x21, Buffer.alloc(12))],
    ['a broken signature', Buffer.concat([Buffer.from('0d0a0d0a000d0a5155495421', 'hex'), Buffer.alloc(4)])],
  ])('refuses %s', (_what, data) => {
    expect(() => parseProxyHeader(data, MAX)).toThrow(ProxyProtocolError);
  });
});

describe('formatIPv6', () => {
  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['20010000000000010000000000000000', '2001:0:0:1::'],
  ])('%s is %s', (hex, text) => {
    expect(formatIPv6(Buffer.from(hex, 'hex'))).toBe(text);
  });
});
