/**
 * Stage 3: new sessions through the gateway at a fixed rate (open loop), each a whole
 * `ssh -J gateway web-1 true`: both connections, the command, its exit status, the close.
 */
import type { Client } from 'ssh2';
import { waitUntilQuiet } from '../gateway/process-memory.ts';
import type { Ssh2Connect, Ssh2Link } from '../gateway/ssh2-paths.ts';
import { runOpenLoop } from '../lib/open-loop.ts';
import { ms, summarize } from '../lib/stats.ts';
import { isAlive, withResourceUse, type StagePids } from './resource-sampler.ts';
import { ErrorTally, type StageRow } from './stage-table.ts';

export interface ChurnPlan {
  churnRate: number;
  churnSeconds: number;
  /** Lower rates tried first, briefly, to find where the target is still met (those not below churnRate are skipped). */
  churnSteps: readonly number[];
  stepSeconds: number;
}

const COMMAND = 'true';
/** A session not done this long after its scheduled start counts as an error. */
const SESSION_TIMEOUT_MS = 10_000;
const P99_TARGET_MS = 500;

/** Runs `command` (no terminal) and resolves with its exit status, or null when the channel closed without one. */
function runCommand(client: Client, command: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let status: number | null = null;
      channel.on('exit', (code: number | null) => (status = typeof code === 'number' ? code : null));
      channel.resume();
      channel.stderr.resume();
      channel.once('close', () => resolve(status));
    });
  });
}

/** Rejects after `ms` unless `work` settled first; `onLate` gets what `work` resolves to after that, to clean it up. */
function within<T>(work: Promise<T>, timeoutMs: number, what: string, onLate: (value: T) => void): Promise<T> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`${what} not done within ${SESSION_TIMEOUT_MS} ms of its scheduled start`));
    }, Math.max(0, timeoutMs));
  });
  work.then(
    (value) => (timedOut ? onLate(value) : undefined),
    () => undefined,
  );
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** One open-loop run at `rate` for `seconds`: one row. */
async function churnRun(connect: Ssh2Connect, pids: StagePids, rate: number, seconds: number, isStopping: () => boolean): Promise<StageRow> {
  const errors = new ErrorTally();
  const connectedMs: number[] = [];
  const commandMs: number[] = [];

  const oneSession = async (timeoutMs: number): Promise<boolean> => {
    if (isStopping()) return false;
    const started = performance.now();
    let link: Ssh2Link | undefined;
    try {
      link = await within(connect(), timeoutMs, 'the connection', (late) => late.close());
      const connected = performance.now();
      const status = await within(runCommand(link.client, COMMAND), timeoutMs - (connected - started), `\`${COMMAND}\``, () => undefined);
      if (status === null) throw new Error('the session closed without an exit status');
      if (status !== 0) throw new Error(`\`${COMMAND}\` exited with ${status}`);
      connectedMs.push(connected - started);
      commandMs.push(performance.now() - connected);
      return true;
    } catch (error) {
      errors.add(error);
      return false;
    } finally {
      link?.close();
    }
  };

  await waitUntilQuiet(pids.gateway, { timeoutMs: 30_000 });
  const { result: run, use } = await withResourceUse(pids.gateway, () => runOpenLoop({ rate, durationMs: seconds * 1000, timeoutMs: SESSION_TIMEOUT_MS, send: oneSession }), pids.target);
  const quiet = await waitUntilQuiet(pids.gateway, { timeoutMs: 60_000 });
  return {
    step: `new session: connect, jump, \`${COMMAND}\`, exit status`,
    load: `${rate}/s for ${seconds} s (open loop)`,
    ok: run.count - run.errors,
    errors: run.errors,
    p50: run.p50,
    p99: run.p99,
    max: run.max,
    use,
    target: `p99 < ${P99_TARGET_MS} ms, no errors`,
    result: saturated(run) ? 'fail' : 'pass',
    notes: [
      `medians: both connections ${ms(summarize(connectedMs).p50)} ms + command ${ms(summarize(commandMs).p50)} ms (sessions that succeeded, from the actual send)`,
      `done ${run.achievedRate.toFixed(1)}/s`,
      `generator lag max ${ms(run.maxSendLagMs)} ms`,
      ...(quiet ? [] : ['the gateway was still busy 60 s after the last session']),
      ...(errors.total > 0 ? [`errors: ${errors.summary()}`] : []),
    ],
  };
}

const saturated = (run: { errors: number; p99: number }) => run.errors > 0 || run.p99 >= P99_TARGET_MS;

/**
 * First the step-up (each `stepSeconds` long, lowest rate first, stopping after the first
 * that misses the target: an overloaded gateway keeps working through sessions the client
 * gave up on), then the stage's own rate for its whole duration.
 */
export async function churnStage(connect: Ssh2Connect, pids: StagePids, plan: ChurnPlan, progress: (line: string) => void, isStopping: () => boolean): Promise<StageRow[]> {
  const rows: StageRow[] = [];
  for (const rate of plan.churnSteps.filter((r) => r < plan.churnRate)) {
    progress(`stage 3, step-up: ${rate} new sessions a second for ${plan.stepSeconds} s`);
    const row = await churnRun(connect, pids, rate, plan.stepSeconds, isStopping);
    if (isStopping()) return rows;
    progress(`  p50 ${ms(row.p50)} ms, p99 ${ms(row.p99)} ms, ${row.errors} errors`);
    rows.push({ ...row, step: `step-up: ${row.step}` });
    if (row.result === 'fail' || !isAlive(pids.gateway)) break;
  }
  if (!isAlive(pids.gateway)) return rows;
  progress(`stage 3: ${plan.churnRate} new sessions a second through the gateway for ${plan.churnSeconds} s (ssh -J … ${COMMAND}, then close)`);
  const row = await churnRun(connect, pids, plan.churnRate, plan.churnSeconds, isStopping);
  progress(`  setup p50 ${ms(row.p50)} ms, p99 ${ms(row.p99)} ms, ${row.errors} errors`);
  rows.push(row);
  return rows;
}
