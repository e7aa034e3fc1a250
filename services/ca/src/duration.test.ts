import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['1w', 604_800],
    ['1h30m', 5400],
    ['3600', 3600],
    [45, 45],
  ] as const)('reads %s as %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each(['', '0', '0s', '-5m', '1.5h', '10 minutes', 'm', '1y', '9999999999999999999d'])('refuses %j with a hint', (input) => {
    expect(() => parseDuration(input, 'ttl')).toThrow(/ttl/);
  });

  it('refuses a non-integer number of seconds', () => {
    expect(() => parseDuration(1.5)).toThrow(/whole number/);
  });

  it('formats seconds in the shortest exact form', () => {
    expect(formatDuration(86_400)).toBe('1d');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(61)).toBe('1m1s');
  });
});
