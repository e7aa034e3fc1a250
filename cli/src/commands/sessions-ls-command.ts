import { Option, type Command } from 'commander';
import type { Session } from '../api-types.ts';
import { CliError } from '../errors.ts';
import { formatDuration, parseDuration } from '../format/duration.ts';
import { table } from '../format/table.ts';
import { printJson, type CliIo } from '../io.ts';
import { apiOptions, signedIn, type ServerOption } from './command-context.ts';

interface LsFlags extends ServerOption {
  json?: boolean;
  user?: string;
  host?: string;
  login?: string;
  status?: string;
  grep?: string;
  since?: string;
  until?: string;
  live?: boolean;
  limit?: string;
}

const MAX_LIMIT = 1000;

/**
 * `--since 2h` (that long ago) or an ISO time → the ISO time the server takes. A time without
 * a zone, and a bare date, mean the local time of this machine.
 */
export function pointInTime(value: string, now: Date, flag: string): string {
  const text = value.trim();
  if (/^(?:\d+[smhdw])+$/.test(text)) return new Date(now.getTime() - parseDuration(text, flag) * 1000).toISOString();
  // JavaScript reads a date-time without a zone as local time, but a bare date as UTC: make it local too.
  const local = /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00` : text;
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(local) ? Date.parse(local) : NaN;
  if (Number.isNaN(ms)) throw new CliError('ERR_USAGE', `${flag} takes a duration ago such as 2h or 3d, or a time such as 2030-01-31T09:00 or 2030-01-31T09:00:00Z; got "${text.slice(0, 60)}"`);
  return new Date(ms).toISOString();
}

function limit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new CliError('ERR_USAGE', `--limit takes a whole number from 1 to ${MAX_LIMIT}; got "${value.slice(0, 40)}"`);
  return n;
}

/** ISO to the second: the table's times. */
const when = (iso: string | null): string => (iso ? `${iso.slice(0, 19)}Z` : '-');

function duration(s: Session, now: Date): string {
  const end = s.endedAt ?? (s.status === 'live' ? now.toISOString() : s.recordedUntil);
  return end ? formatDuration((Date.parse(end) - Date.parse(s.startedAt)) / 1000) : '-';
}

const exit = (s: Session): string => (s.exitStatus !== null ? String(s.exitStatus) : s.exitSignal ? `SIG${s.exitSignal}` : '-');

export function sessionsTable(sessions: readonly Session[], now: Date): string {
  const rows = sessions.map((s) => [s.id, s.user.email, `${s.login}@${s.host}`, s.kind, when(s.startedAt), duration(s, now), s.status, exit(s)]);
  return table(['ID', 'USER', 'LOGIN@HOST', 'KIND', 'STARTED', 'DURATION', 'STATUS', 'EXIT'], rows);
}

/** `access sessions ls`, on the `sessions` command group (which session-commands.ts creates). */
export function registerSessionsLs(sessions: Command, io: CliIo): void {
  apiOptions(sessions.command('ls'))
    .description('list recorded sessions, newest first: your own, or everyone\'s with the audit capability')
    .option('--user <email>', 'only sessions of this person')
    .option('--host <name>', 'only sessions on this host')
    .option('--login <login>', 'only sessions as this login on the target')
    .addOption(new Option('--status <status>', 'only sessions in this state').choices(['live', 'ended', 'interrupted']))
    .option('--grep <words>', 'only sessions whose transcript has these words, as a web search takes them: deploy failed, "exact phrase", nginx or apache, -staging')
    .option('--since <time>', 'only sessions started since: a duration ago (2h, 3d) or a time (2030-01-31T09:00, local unless it has a zone)')
    .option('--until <time>', 'only sessions started before this (same forms as --since)')
    .option('--live', 'only sessions still running')
    .option('--limit <n>', `at most this many (1-${MAX_LIMIT}, default 100)`)
    .action(async (o: LsFlags) => {
      const now = io.now();
      // login, status and text go on as query parameters like the rest (the client sends every field).
      const filter = {
        user: o.user,
        host: o.host,
        login: o.login,
        status: o.status,
        text: o.grep,
        since: o.since === undefined ? undefined : pointInTime(o.since, now, '--since'),
        until: o.until === undefined ? undefined : pointInTime(o.until, now, '--until'),
        live: o.live ? true : undefined,
        limit: limit(o.limit),
      };
      const found = await signedIn(io, o).api.listSessions(filter);
      if (o.json) return printJson(io, found);
      io.stdout.write(sessionsTable(found, now));
    });
}
