/**
 * Stage 2: many interactive shells through one gateway at once, all typing. Each session is
 * its own pair of SSH connections as `ssh -J` makes them (outer to the gateway, a
 * direct-tcpip channel to web-1:22, the inner connection inside it), in this process.
 */
import { waitUntilQuiet } from '../gateway/process-memory.ts';
import type { Ssh2Connect } from '../gateway/ssh2-paths.ts';
import { runOpenLoop } from '../lib/open-loop.ts';
import { ms, summarize } from '../lib/stats.ts';
import { isAlive, withResourceUse, type StagePids } from './resource-sampler.ts';
import { ErrorTally, type StageRow } from './stage-table.ts';
import { TypingSession } from './typing-session.ts';

export interface TypingPlan {
  sessions: number;
  openBatch: number;
  keysPerSecond: number;
  typingSeconds: number;
  /** Lower keystroke rates typed first, `stepSeconds` each (those not below keysPerSecond are skipped). */
  typingSteps: readonly number[];
  stepSeconds: number;
}

const KEYSTROKE_TIMEOUT_MS = 5_000;
const RSS_TARGET_MIB = 1024;

/** Opens `plan.sessions` shells, `openBatch` at a time; resolves with those that opened and the time each took. */
async function openSessions(connect: Ssh2Connect, plan: TypingPlan, errors: ErrorTally, progress: (line: string) => void, isStopping: () => boolean) {
  const sessions: TypingSession[] = [];
  const openMs: number[] = [];
  let lastReport = performance.now();
  for (let opened = 0; opened < plan.sessions && !isStopping(); opened += plan.openBatch) {
    const size = Math.min(plan.openBatch, plan.sessions - opened);
    const results = await Promise.allSettled(
      Array.from({ length: size }, async () => {
        const started = performance.now();
        const session = await TypingSession.open(connect);
        openMs.push(performance.now() - started);
        return session;
      }),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') sessions.push(r.value);
      else errors.add(r.reason);
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      progress(`  ${sessions.length} sessions open, ${errors.total} failed`);
    }
  }
  return { sessions, openMs };
}

export async function typingStage(connect: Ssh2Connect, pids: StagePids, plan: TypingPlan, progress: (line: string) => void, isStopping: () => boolean): Promise<StageRow[]> {
  await waitUntilQuiet(pids.gateway);
  progress(`stage 2: opening ${plan.sessions} interactive shells through the gateway, ${plan.openBatch} at a time`);
  const openErrors = new ErrorTally();
  const began = performance.now();
  const { result: opened, use: openUse } = await withResourceUse(pids.gateway, () => openSessions(connect, plan, openErrors, progress, isStopping), pids.target);
  const { sessions, openMs } = opened;
  const openSeconds = (performance.now() - began) / 1000;
  const openSummary = summarize(openMs);
  progress(`  ${sessions.length} sessions open in ${openSeconds.toFixed(0)} s, ${openErrors.total} failed`);

  try {
    await waitUntilQuiet(pids.gateway, { timeoutMs: 30_000 });
    const rows: StageRow[] = [
      {
        step: 'open the shells (connect, jump, pty, prompt)',
        load: `${plan.sessions}, ${plan.openBatch} at a time`,
        ok: sessions.length,
        errors: openErrors.total,
        p50: openSummary.p50,
        p99: openSummary.p99,
        max: openSummary.max,
        use: openUse,
        target: 'no errors',
        result: openErrors.total === 0 && sessions.length === plan.sessions ? 'pass' : 'fail',
        notes: [`${openSeconds.toFixed(0)} s for all`, ...(openErrors.total > 0 ? [`errors: ${openErrors.summary()}`] : [])],
      },
    ];
    if (sessions.length === 0 || isStopping()) return rows;

    const typeAt = async (rate: number, seconds: number, label: string): Promise<StageRow> => {
      const perSession = rate / sessions.length;
      progress(`stage 2${label ? `, ${label}` : ''}: typing, ${rate} keystrokes/s over ${sessions.length} sessions (${perSession.toFixed(2)} a second each) for ${seconds} s`);
      await waitUntilQuiet(pids.gateway, { timeoutMs: 30_000 });
      const typeErrors = new ErrorTally();
      let next = 0;
      const { result: typed, use } = await withResourceUse(
        pids.gateway,
        () =>
          runOpenLoop({
            rate,
            durationMs: seconds * 1000,
            timeoutMs: KEYSTROKE_TIMEOUT_MS,
            // Key i goes to session i mod N: each session types at an even pace, the sessions out of phase.
            send: async (timeoutMs) => {
              const session = sessions[next++ % sessions.length]!;
              if (isStopping()) return false;
              try {
                await session.type(timeoutMs);
                return true;
              } catch (error) {
                typeErrors.add(error);
                return false;
              }
            },
          }),
        pids.target,
      );
      const closedDuring = sessions.filter((s) => !s.open).length;
      progress(`  echo p50 ${ms(typed.p50)} ms, p99 ${ms(typed.p99)} ms, ${typed.errors} errors, gateway RSS peak ${Math.round(use.rssMib.peak)} MiB`);
      const peakRss = Math.max(openUse.rssMib.peak, use.rssMib.peak);
      return {
        step: `${label ? `${label}: ` : ''}keystroke echo while all type`,
        load: `${rate}/s for ${seconds} s (${perSession.toFixed(2)}/s a session)`,
        ok: typed.count - typed.errors,
        errors: typed.errors,
        p50: typed.p50,
        p99: typed.p99,
        max: typed.max,
        use,
        target: `no errors, gateway RSS ≤ ${RSS_TARGET_MIB} MiB`,
        result: typed.errors === 0 && openErrors.total === 0 && peakRss <= RSS_TARGET_MIB ? 'pass' : 'fail',
        notes: [
          `peak RSS since before the first session ${Math.round(peakRss)} MiB (${Math.round(((use.rssMib.end - openUse.rssMib.start) * 1024) / sessions.length)} KiB a session at the end)`,
          `generator lag max ${ms(typed.maxSendLagMs)} ms`,
          ...(closedDuring > 0 ? [`${closedDuring} sessions closed so far`] : []),
          ...(typeErrors.total > 0 ? [`errors: ${typeErrors.summary()}`] : []),
        ],
      };
    };

    // A step-up first (lowest first, up to the first that misses the target), then the stage's own rate.
    for (const rate of plan.typingSteps.filter((r) => r < plan.keysPerSecond)) {
      const row = await typeAt(rate, plan.stepSeconds, 'step-up');
      if (isStopping()) return rows;
      rows.push(row);
      if (row.result === 'fail' || !isAlive(pids.gateway)) break;
    }
    if (!isAlive(pids.gateway)) return rows;
    const row = await typeAt(plan.keysPerSecond, plan.typingSeconds, '');
    if (isStopping()) return rows;
    rows.push(row);
    return rows;
  } finally {
    progress(`stage 2: closing ${sessions.length} sessions`);
    for (const session of sessions) session.close();
    await waitUntilQuiet(pids.gateway, { timeoutMs: 60_000 });
  }
}
