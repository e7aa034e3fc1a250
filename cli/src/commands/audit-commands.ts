import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { exportFileName } from '@access/audit';
import { CliError } from '../errors.ts';
import { say, type CliIo } from '../io.ts';
import { registerAuditVerify } from './audit-verify-command.ts';
import { signedIn, type ServerOption } from './command-context.ts';
import { pointInTime } from './sessions-ls-command.ts';

interface ExportFlags extends ServerOption {
  since: string;
  until: string;
  format: 'jsonl' | 'csv';
  sessions?: boolean;
  output?: string;
}

/** Progress lines come this far apart: a large export takes a while. */
const PROGRESS_EVERY = 16 * 1024 * 1024;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** `access-audit-<since>-<until>.tar`, as the server names it, from the times given. */
export function defaultExportName(since: string, until: string): string {
  return exportFileName({ since: new Date(since), until: new Date(until) }, new Date(until));
}

/**
 * Streams the download to `<output>.part` (0600: recordings may hold secrets), then renames
 * it: a broken download never leaves a file that looks whole. Returns the bytes written.
 */
async function download(body: AsyncIterable<Uint8Array>, output: string, progress: (bytes: number) => void): Promise<number> {
  const partial = `${output}.part`;
  let file: FileHandle;
  try {
    file = await open(partial, 'w', 0o600);
  } catch (error) {
    throw new CliError('ERR_OUTPUT', `cannot write ${output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the directory exists and you may write there`, { cause: error });
  }
  let written = 0;
  try {
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length; ) offset += (await file.write(chunk, offset)).bytesWritten;
      const before = written;
      written += chunk.length;
      if (Math.floor(written / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) progress(written);
    }
    await file.close();
    await rename(partial, output);
    return written;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw new CliError('ERR_DOWNLOAD', `the export broke off after ${mib(written)} (${(error as Error).message}); nothing was saved, run the export again`, { cause: error });
  }
}

function registerAuditExport(audit: Command, io: CliIo): void {
  audit
    .command('export')
    .description('download the audit log for a period as one tar, signed by the CA: events, and with --sessions the recordings of the sessions started in it (needs the audit capability; audited)')
    .requiredOption('--since <time>', 'events at or after: a duration ago (30d, 12h), now, or a time (2030-01-01, 2030-01-31T09:00, local unless it has a zone)')
    .requiredOption('--until <time>', 'events before (same forms as --since)')
    .addOption(new Option('--format <format>', 'jsonl: one JSON record per line; csv: a header and one row per record').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--sessions', 'include the recordings (sessions/<id>.cast) and metadata (sessions/<id>.json) of sessions started in the period')
    .option('--output <file>', 'where to write the tar (created 0600); default access-audit-<since>-<until>.tar here')
    .option('--server <url>', 'the access server (env ACCESS_SERVER; default: the one you logged in to)')
    .action(async (o: ExportFlags) => {
      const now = io.now();
      const at = (value: string, flag: string) => (value.trim() === 'now' ? now.toISOString() : pointInTime(value, now, flag));
      const since = at(o.since, '--since');
      const until = at(o.until, '--until');
      if (since >= until) throw new CliError('ERR_USAGE', `--since (${since}) must be before --until (${until})`);
      const output = o.output ?? defaultExportName(since, until);
      const tell = say(io);
      const exported = await signedIn(io, o).api.auditExport({ since, until, format: o.format, sessions: o.sessions === true });
      tell(`exporting ${exported.count ?? 'the'} events from ${since} to ${until}${o.sessions ? ' with session recordings' : ''} to ${output}…`);
      const bytes = await download(exported.body, output, (done) => tell(`  ${mib(done)} so far`));
      tell(`wrote ${output} (${bytes} bytes). Check it, anywhere and offline: access audit verify ${output} --ca-key <the user CA public key>`);
    });
}

/** The `audit` group: the signed export of the audit log, and its offline check. */
export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit log: export it signed by the CA (needs the audit capability), and verify an export offline');
  registerAuditExport(audit, io);
  registerAuditVerify(audit, io);
}
