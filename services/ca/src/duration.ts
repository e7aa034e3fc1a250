import { badRequest } from './errors.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a duration such as `90s`, `10m`, `12h`, `30d`, `1h30m` or a whole number of
 * seconds, and returns seconds. Zero, negative and unit-less decimals are refused.
 */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input > 0) return input;
    throw badRequest('ERR_BAD_DURATION', `${what} must be a positive whole number of seconds, got ${input}`);
  }
  const text = input.trim();
  if (/^\d+$/.test(text)) return parseDuration(Number(text), what);
  const parts = /^(?:\d+[smhdw])+$/.test(text) ? text.match(/\d+[smhdw]/g) : null;
  if (!parts) {
    throw badRequest('ERR_BAD_DURATION', `${what} "${text.slice(0, 40)}" is not a duration: use e.g. 90s, 10m, 12h, 30d or 1h30m`);
  }
  let seconds = 0;
  for (const part of parts) seconds += Number(part.slice(0, -1)) * (UNITS[part.slice(-1)] ?? 0);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw badRequest('ERR_BAD_DURATION', `${what} "${text}" must be longer than zero`);
  }
  return seconds;
}

/** `86400` → `1d`, `5400` → `1h30m`: the shortest exact form, for messages and docs. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
