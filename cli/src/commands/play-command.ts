import type { Command } from 'commander';
import { parseRedactionMarker, playCast, printable } from '@access/recording';
import { CliError } from '../errors.ts';
import { formatDuration } from '../format/duration.ts';
import { say, type CliIo } from '../io.ts';
import { fetchRecordedSession, recordingCaveats } from './session-commands.ts';
import { signedIn, type ServerOption } from './command-context.ts';

interface PlayFlags extends ServerOption {
  speed: string;
  maxIdle: string;
}

function positive(value: string, flag: string, zeroMeans?: string): number {
  const n = /^\d+(?:\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (n > 0 || (zeroMeans && n === 0)) return n;
  throw new CliError('ERR_USAGE', `${flag} takes a number above 0${zeroMeans ? ` (or 0 for ${zeroMeans})` : ''}, such as 2 or 0.5; got "${value.slice(0, 40)}"`);
}

const at = (seconds: number) => formatDuration(Math.floor(seconds));

/** `access play`: a recorded session on this terminal, with its timing. */
export function registerPlayCommand(program: Command, io: CliIo): void {
  program
    .command('play <session-id>')
    .description('replay a recorded session on this terminal, as the engineer saw it (your own sessions, or any with the audit capability)')
    .option('--speed <n>', 'playback speed: 2 is twice as fast, 0.5 half', '1')
    .option('--max-idle <seconds>', 'cut every pause to at most this long (0: keep pauses as recorded)', '2')
    .option('--server <url>', 'the access server (env ACCESS_SERVER; default: the one you logged in to)')
    .action(async (id: string, o: PlayFlags) => {
      const speed = positive(o.speed, '--speed');
      const maxIdle = positive(o.maxIdle, '--max-idle', 'no limit');
      const { session: s, cast } = await fetchRecordedSession(signedIn(io, o).api, id);
      const tell = say(io);
      const what = s.kind === 'shell' ? 'shell' : `${s.kind} ${s.command ?? ''}`.trim();
      tell(printable(`Replaying ${s.id}: ${s.user.email} as ${s.login}@${s.host}, ${what}, started ${s.startedAt}, ${cast.header.width}x${cast.header.height}.`));
      for (const note of recordingCaveats(s)) tell(note);
      const terminal = io.stdout as { columns?: number; rows?: number };
      if (io.stdout.isTTY && terminal.columns !== undefined && terminal.rows !== undefined && (terminal.columns < cast.header.width || terminal.rows < cast.header.height)) {
        tell(`This terminal is ${terminal.columns}x${terminal.rows}, smaller than the recording: make it at least ${cast.header.width}x${cast.header.height} for a faithful replay.`);
      }
      tell(`Speed ${speed}x${maxIdle ? `, pauses cut to ${maxIdle}s` : ''}; Ctrl-C stops.`);

      let redactions = 0;
      const result = await playCast(cast, {
        write: (data) => void io.stdout.write(data),
        sleep: io.sleep,
        speed,
        maxIdle: maxIdle || undefined,
        onMarker: (text) => void (parseRedactionMarker(text) !== null && redactions++),
      });
      // The recording may end with the cursor hidden or a color on: give the terminal back clean.
      if (io.stdout.isTTY) io.stdout.write('\x1b[0m\x1b[?25h\r\n');
      tell(`End of ${s.id}: ${at(result.played)} of recording.`);
      if (result.resizes.length > 0) tell(`The engineer's terminal changed size: ${result.resizes.map((r) => `${r.cols}x${r.rows} at ${at(r.time)}`).join(', ')}.`);
      if (redactions > 0) tell(`${redactions} ${redactions === 1 ? 'input was' : 'inputs were'} typed at a password prompt and not recorded ("access sessions export ${s.id} --format text" shows where).`);
    });
}
