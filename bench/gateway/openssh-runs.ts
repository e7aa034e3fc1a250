/**
 * Runs of the stock OpenSSH client (`ssh -F <config> <alias> <command>`), the way an engineer
 * uses each path: session setup time and bulk transfers.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { processCpuSeconds } from '../lib/process-cpu.ts';
import { waitUntilQuiet } from './process-memory.ts';
import type { PathName } from './ssh2-paths.ts';

const SSH = '/usr/bin/ssh';

/** How long a session may stay open after all of its output arrived before it counts as hung. */
const END_GRACE_MS = 10_000;

interface SshRun {
  wallMs: number;
  /** From the spawn to the first and to the last byte on stdout; NaN when nothing came. */
  firstByteMs: number;
  lastByteMs: number;
  stdoutBytes: number;
  /** stdout as text, unless it was only counted. */
  stdout: string;
  /** The session ended without an exit status (ssh exits 255 and says nothing). */
  lostExitStatus: boolean;
  /** All output had arrived, but the session did not end within END_GRACE_MS; ssh was killed. */
  hungAtEnd: boolean;
}

interface SshRunOptions {
  stdinFile?: string;
  /** Count stdout bytes without keeping them. */
  countOnly?: boolean;
  allowLostExitStatus?: boolean;
  /** Says when all the output the command makes has arrived (`text` is empty with countOnly). */
  outputComplete?: (bytes: number, text: string) => boolean;
  timeoutMs: number;
}

/**
 * One `ssh` run; rejects unless it exits 0 within `timeoutMs`. A session that still has not
 * ended END_GRACE_MS after `outputComplete` is killed and reported as `hungAtEnd`, so the
 * transfer it made still counts.
 */
function runSsh(sshConfig: string, alias: string, command: string, options: SshRunOptions): Promise<SshRun> {
  const stdin = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(SSH, ['-F', sshConfig, alias, command], { stdio: [stdin, 'pipe', 'pipe'] });
    if (typeof stdin === 'number') closeSync(stdin);
    let firstByteMs = NaN;
    let lastByteMs = NaN;
    let stdoutBytes = 0;
    let text = '';
    let stderr = '';
    let hungAtEnd = false;
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      lastByteMs = performance.now() - started;
      if (stdoutBytes === 0) firstByteMs = lastByteMs;
      stdoutBytes += chunk.length;
      if (!options.countOnly) text += chunk.toString('utf8');
      if (!grace && options.outputComplete?.(stdoutBytes, text)) {
        grace = setTimeout(() => {
          hungAtEnd = true;
          child.kill('SIGKILL');
        }, END_GRACE_MS);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    child.once('error', (error) => {
      clearTimeout(timer);
      clearTimeout(grace);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      const wallMs = performance.now() - started;
      // 255 with nothing said (LogLevel ERROR) is a session that closed without an exit status.
      const lostExitStatus = code === 255 && stderr.trim() === '';
      if (code !== 0 && !hungAtEnd && !(lostExitStatus && options.allowLostExitStatus)) {
        return reject(new Error(`ssh ${alias} ${JSON.stringify(command)} ended with ${signal ?? code}${signal === 'SIGKILL' ? ` (over ${options.timeoutMs} ms)` : ''}${lostExitStatus ? ' without an exit status' : `: ${stderr.trim()}`}`));
      }
      resolve({ wallMs, firstByteMs, lastByteMs, stdoutBytes, stdout: text, lostExitStatus, hungAtEnd });
    });
  });
}

export interface SetupResult {
  wallMs: number[];
  /** Runs that ended without an exit status (still timed). */
  lostExitStatus: number;
}

/** One way to reach the target for `ssh … true`: a configuration file and a Host alias in it. */
export interface SetupVariant {
  key: string;
  sshConfig: string;
  alias: string;
}

/**
 * `ssh <alias> true`, wall time from spawn to exit: both OpenSSH processes of a jump, every
 * handshake and authentication, the session and its end. The variants take turns.
 */
export async function benchSetup(variants: readonly SetupVariant[], plan: { runs: number; warmup: number }): Promise<Record<string, SetupResult>> {
  const results: Record<string, SetupResult> = Object.fromEntries(variants.map((v) => [v.key, { wallMs: [], lostExitStatus: 0 }]));
  for (let i = -plan.warmup; i < plan.runs; i += 1) {
    for (const v of variants) {
      // A lost exit status still timed a whole session; it is counted and reported.
      const run = await runSsh(v.sshConfig, v.alias, 'true', { timeoutMs: 30_000, allowLostExitStatus: true });
      if (i < 0) continue;
      results[v.key]!.wallMs.push(run.wallMs);
      if (run.lostExitStatus) results[v.key]!.lostExitStatus += 1;
    }
  }
  return results;
}

export interface TransferPlan {
  /** A file of this many bytes, readable by the login on the target (same machine). */
  file: string;
  bytes: number;
  runs: number;
  timeoutMs: number;
  /** The process whose CPU use is reported for each run (the gateway's). */
  watchPid: number;
}

export interface TransferResult {
  /** MB/s (10^6 bytes) of each run. */
  upload: number[];
  download: number[];
  /** CPU use of `watchPid` during each run, 100 = one core. */
  uploadCpu: number[];
  downloadCpu: number[];
  /** Runs whose session did not end after all data had arrived (see runSsh). */
  hungAtEnd: number;
  /** How long `watchPid` stayed busy after each run ended (finishing the recording), ms. */
  busyAfterMs: number[];
}

/**
 * Upload: `ssh <alias> '…wc -c…' < file`, timed on the target from the moment the remote
 * command starts until it has read the last byte (so session setup is not counted).
 * Download: `ssh <alias> 'cat file'`, timed here from the first byte of output to the last.
 * Both check that every byte arrived. The paths take turns.
 */
export async function benchTransfers(sshConfig: string, aliases: Readonly<Record<PathName, string>>, paths: readonly PathName[], plan: TransferPlan): Promise<Record<PathName, TransferResult>> {
  const results = Object.fromEntries(paths.map((p): [PathName, TransferResult] => [p, { upload: [], download: [], uploadCpu: [], downloadCpu: [], hungAtEnd: 0, busyAfterMs: [] }])) as Record<PathName, TransferResult>;
  // The next run starts once the gateway is done with this one, so its leftover work
  // (the recording's last chunks) does not take CPU from another path's run.
  const watched = async (path: PathName, run: () => Promise<SshRun>): Promise<SshRun & { cpu: number }> => {
    const before = processCpuSeconds(plan.watchPid);
    const result = await run();
    const cpu = ((processCpuSeconds(plan.watchPid) - before) / (result.wallMs / 1000)) * 100;
    const ended = performance.now();
    await waitUntilQuiet(plan.watchPid, { windowMs: 250, timeoutMs: 30_000 });
    results[path].busyAfterMs.push(performance.now() - ended);
    return { ...result, cpu };
  };
  const mbPerSecond = (ms: number) => plan.bytes / 1e6 / (ms / 1000);
  const upload = 't0=$(date +%s%N); n=$(wc -c); t1=$(date +%s%N); echo "$n $((t1 - t0))"';
  for (let i = 0; i < plan.runs; i += 1) {
    for (const path of paths) {
      const run = await watched(path, () => runSsh(sshConfig, aliases[path], upload, { stdinFile: plan.file, outputComplete: (_, text) => text.endsWith('\n'), timeoutMs: plan.timeoutMs }));
      if (run.hungAtEnd) results[path].hungAtEnd += 1;
      const [received, nanoseconds] = run.stdout.trim().split(' ').map(Number);
      if (received !== plan.bytes) throw new Error(`upload via ${path}: the target read ${received} bytes of ${plan.bytes}`);
      results[path].upload.push(mbPerSecond(nanoseconds! / 1e6));
      results[path].uploadCpu.push(run.cpu);
    }
    for (const path of paths) {
      const run = await watched(path, () =>
        runSsh(sshConfig, aliases[path], `cat ${plan.file}`, { countOnly: true, outputComplete: (bytes) => bytes >= plan.bytes, timeoutMs: plan.timeoutMs }),
      );
      if (run.hungAtEnd) results[path].hungAtEnd += 1;
      if (run.stdoutBytes !== plan.bytes) throw new Error(`download via ${path}: received ${run.stdoutBytes} bytes of ${plan.bytes}`);
      results[path].download.push(mbPerSecond(run.lastByteMs - run.firstByteMs));
      results[path].downloadCpu.push(run.cpu);
    }
  }
  return results;
}
