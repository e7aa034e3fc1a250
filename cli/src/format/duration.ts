import { CliError } from '../errors.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90s`, `5m`, `1h30m` or whole seconds → seconds (the same forms the CA accepts). */
export function parseDuration(text: string, what: string): number {
  const t = text.trim();
  let seconds = 0;
  if (/^\d+$/.test(t)) seconds = Number(t);
  else if (/^(?:\d+[smhdw])+$/.test(t)) for (const part of t.match(/\d+[smhdw]/g) ?? []) seconds += Number(part.slice(0, -1)) * (UNITS[part.slice(-1)] ?? 0);
  else throw new CliError('ERR_BAD_DURATION', `${what} takes a duration such as 90s, 5m or 1h30m, got "${t.slice(0, 40)}"`);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new CliError('ERR_BAD_DURATION', `${what} must be longer than zero`);
  return seconds;
}

/** 5400 → "1h30m"; 0 or less → "0s". For people, so seconds are dropped above an hour. */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  if (rest === 0) return '0s';
  if (rest >= 3600) rest -= rest % 60;
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
