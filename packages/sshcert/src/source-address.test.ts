import { describe, expect, it } from 'vitest';
import { sourceAddressAllows } from './source-address.ts';

describe('sourceAddressAllows', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['10.0.0.0/8,192.168.1.5', '10.20.30.40', true],
    ['10.0.0.0/8,192.168.1.5', '192.168.1.5', true],
    ['10.0.0.0/8,192.168.1.5', '192.168.1.6', false],
    ['127.0.0.1', '::ffff:127.0.0.1', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['10.0.0.0/33', '10.0.0.1', false],
    ['nonsense', '10.0.0.1', false],
    ['10.0.0.1', 'not an address', false],
  ])('%s allows %s: %s', (option, address, expected) => {
    expect(sourceAddressAllows(option, address)).toBe(expected);
  });
});
