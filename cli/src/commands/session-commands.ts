import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { EXPORT_FORMATS, exportSession, readRecording, RecordingError, type Cast, type ExportFormat } from '@access/recording';
import type { ApiClient } from '../api-client.ts';
import type { Session } from '../api-types.ts';
import { ApiError, CliError } from '../errors.ts';
import { printJson, say, type CliIo } from '../io.ts';
import { registerSessionsLs } from './sessions-ls-command.ts';
import { apiOptions, signedIn, type ServerOption } from './command-context.ts';

const SESSION_ID = /^ses_[0-9a-f]{20}$/;
const FIND_IDS = '"access sessions ls" lists sessions with their ids';

export interface RecordedSession {
  session: Session;
  /** The recording's asciicast text, as the server sent it. */
  text: string;
  cast: Cast;
}

/** A session and its recording, with errors that say how to find the right id. */
export async function fetchRecordedSession(api: ApiClient, id: string): Promise<RecordedSession> {
  if (!SESSION_ID.test(id)) throw new CliError('ERR_USAGE', `"${id.slice(0, 40)}" is not a session id: one looks like ses_ and 20 hex digits; ${FIND_IDS}`);
  let session: Session;
  let text: string;
  try {
    [session, text] = await Promise.all([api.getSession(id), api.getSessionRecording(id)]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new CliError('ERR_UNKNOWN_SESSION', `${error.message}\n${FIND_IDS} (your own, or everyone's with the audit capability).`, { cause: error });
    throw error;
  }
  try {
    return { session, text, cast: readRecording(session, text) };
  } catch (error) {
    if (!(error instanceof RecordingError)) throw error;
    throw new CliError('ERR_BAD_RECORDING', `the server sent a recording of ${id} that is not asciicast v2 (${error.message}); try again, and if it persists tell an admin the session id`, { cause: error });
  }
}

/** What a person should know before trusting a replay or an export: live, or cut short. */
export function recordingCaveats(s: Session): string[] {
  const notes: string[] = [];
  if (s.status === 'live') notes.push(`${s.id} is still live: this holds what was recorded until ${s.recordedUntil ?? 'now (nothing yet)'}.`);
  if (s.recordingTruncated) notes.push(`The gateway stopped recording ${s.id} before it ended${s.recordedUntil ? ` (at ${s.recordedUntil})` : ''}: later output is missing.`);
  return notes;
}

interface ExportFlags extends ServerOption {
  format: ExportFormat;
  output?: string;
}

function registerSessionsExport(sessions: Command, io: CliIo): void {
  sessions
    .command('export <session-id>')
    .description('export a session\'s recording: asciicast v2 for any player, plain text to read, or JSON with everything (your own, or any with the audit capability)')
    .addOption(new Option('--format <format>', 'cast: asciicast v2 (stderr merged into output); text: who/where/when, then the output as text; json: { session, header, events }').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--output <file>', 'write to this file (created 0600: a recording can hold secrets) instead of stdout')
    .option('--server <url>', 'the access server (env ACCESS_SERVER; default: the one you logged in to)')
    .action(async (id: string, o: ExportFlags) => {
      const { session, text } = await fetchRecordedSession(signedIn(io, o).api, id);
      const exported = await exportSession(o.format, session, text);
      for (const note of recordingCaveats(session)) say(io)(note);
      if (o.output === undefined) {
        io.stdout.write(exported);
        return;
      }
      try {
        writeFileSync(o.output, exported, { mode: 0o600 });
      } catch (error) {
        throw new CliError('ERR_OUTPUT', `cannot write ${o.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the directory exists and you may write there`, { cause: error });
      }
      say(io)(`wrote ${session.id} as ${o.format} to ${o.output} (${Buffer.byteLength(exported)} bytes)`);
    });
}

interface TerminateFlags extends ServerOption {
  reason?: string;
  json?: boolean;
}

function registerSessionsTerminate(sessions: Command, io: CliIo): void {
  apiOptions(sessions.command('terminate <session-id>'))
    .description('end a live session now (needs admin): the engineer sees the reason, the gateway ends the connection carrying it; audited')
    .option('--reason <text>', 'why, for the engineer and the audit log (at most 200 characters)')
    .action(async (id: string, o: TerminateFlags) => {
      if (!SESSION_ID.test(id)) throw new CliError('ERR_USAGE', `"${id.slice(0, 40)}" is not a session id: one looks like ses_ and 20 hex digits; "access sessions ls --status live" lists live sessions`);
      const reason = o.reason?.trim();
      const { body } = await signedIn(io, o).api.call('POST', `/v1/sessions/${id}/terminate`, reason ? { reason } : {});
      if (o.json) return printJson(io, body);
      const s = body as Session;
      say(io)(`asked the gateway to end ${s.id} (${s.user.email}: ${s.login}@${s.host}); it ends within a second: "access sessions ls --user ${s.user.email}" shows it ended`);
    });
}

/** The `sessions` group: recorded sessions, your own or (with the audit capability) everyone's. */
export function registerSessionCommands(program: Command, io: CliIo): void {
  const sessions = program.command('sessions').description('recorded sessions: list and export them (your own; everyone\'s with the audit capability), end a live one (admin); "access play" replays one');
  // ── sessions ls ── lives in sessions-ls-command.ts.
  registerSessionsLs(sessions, io);
  // ── sessions export ──
  registerSessionsExport(sessions, io);
  // ── sessions terminate ──
  registerSessionsTerminate(sessions, io);
}
