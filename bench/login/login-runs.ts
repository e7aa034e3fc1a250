import { withCpuShare, type CpuShares } from '../lib/process-cpu.ts';
import { summarize, type LatencySummary } from '../lib/stats.ts';
import type { LoginTiming } from './emulated-login.ts';

/** Runs one whole login; each call must get a new index (see emulatedLogin). */
export type RunLogin = () => Promise<LoginTiming>;

export interface StageResult extends LatencySummary {
  concurrency: number;
  /** Logins that failed at any step, the untimed IdP sign-in included. */
  errors: number;
  firstError: string | undefined;
  /** Completed logins per second over the stage, whole logins (IdP sign-in included). */
  throughput: number;
  /** Mean of the whole login, key generation and IdP sign-in included. */
  totalMeanMs: number;
  /** Medians of the timed part's pieces (see LoginTiming). */
  phaseMedians: LoginTiming['phases'];
  seconds: number;
  /** The CA server process (CA + dev IdP; 100 % = one core), this process and the machine. */
  cpu: CpuShares;
}

export interface StagePlan {
  concurrency: number;
  /** Logins keep being started until at least this many were started… */
  minLogins: number;
  /** …and at least this long has passed since the stage began… */
  minMs: number;
  /** …but never more than this many. Every worker runs at least one login. */
  maxLogins: number;
}

/**
 * `concurrency` workers, each running logins back to back (closed loop): at most
 * `concurrency` logins are in flight at any moment. Latencies are the timed part only.
 */
export async function runStage(plan: StagePlan, run: RunLogin, serverPid: number): Promise<StageResult> {
  const timed: number[] = [];
  const totals: number[] = [];
  const phases: Array<LoginTiming['phases']> = [];
  let errors = 0;
  let firstError: string | undefined;
  let launched = 0;
  const began = performance.now();

  const worker = async (first: boolean): Promise<void> => {
    const more = () => launched < plan.maxLogins && (launched < plan.minLogins || performance.now() - began < plan.minMs);
    for (let mine = first; mine || more(); mine = false) {
      launched += 1;
      try {
        const timing = await run();
        timed.push(timing.timedMs);
        totals.push(timing.totalMs);
        phases.push(timing.phases);
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
      }
    }
  };

  const { cpu } = await withCpuShare(serverPid, () => Promise.all(Array.from({ length: plan.concurrency }, () => worker(true))));
  const seconds = (performance.now() - began) / 1000;
  return {
    ...summarize(timed),
    concurrency: plan.concurrency,
    errors,
    firstError,
    throughput: timed.length / seconds,
    totalMeanMs: summarize(totals).mean,
    phaseMedians: {
      callbackMs: summarize(phases.map((p) => p.callbackMs)).p50,
      loopbackMs: summarize(phases.map((p) => p.loopbackMs)).p50,
      redeemMs: summarize(phases.map((p) => p.redeemMs)).p50,
      saveMs: summarize(phases.map((p) => p.saveMs)).p50,
    },
    seconds,
    cpu,
  };
}
