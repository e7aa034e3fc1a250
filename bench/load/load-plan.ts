import { parseArgs } from 'node:util';

export const STAGE_NAMES = ['login', 'typing', 'churn'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The sizes of one run of bench/load.ts; every field can be set on the command line. */
export interface LoadPlan {
  stages: readonly StageName[];
  /** Stage 1: `access login` flows started at once against `access-server start --dev`. */
  logins: number;
  /** Stage 2: interactive shells open at once through one gateway… */
  sessions: number;
  /** …opened this many at a time (the target sshd takes at most MaxStartups 100 unauthenticated connections)… */
  openBatch: number;
  /** …typed into at this many keystrokes a second in all (spread evenly over the sessions)… */
  keysPerSecond: number;
  /** …for this long, after a step-up at these lower rates. */
  typingSeconds: number;
  typingSteps: readonly number[];
  /** Stage 3: new sessions a second (open loop)… */
  churnRate: number;
  /** …for this long, after a step-up at these lower rates. */
  churnSeconds: number;
  churnSteps: readonly number[];
  /** How long each step of a step-up runs. */
  stepSeconds: number;
}

export const FULL_PLAN: LoadPlan = {
  stages: STAGE_NAMES,
  logins: 200,
  sessions: 1000,
  openBatch: 50,
  keysPerSecond: 1000,
  typingSeconds: 60,
  typingSteps: [250, 500],
  churnRate: 100,
  churnSeconds: 60,
  churnSteps: [10, 20, 40, 80],
  stepSeconds: 10,
};

/** `npm run bench`: the same three stages, small enough for a minute or two. */
export const QUICK_PLAN: LoadPlan = {
  ...FULL_PLAN,
  logins: 40,
  sessions: 100,
  keysPerSecond: 100,
  typingSeconds: 15,
  typingSteps: [],
  churnRate: 5,
  churnSeconds: 10,
  churnSteps: [],
};

export const USAGE = `usage: npx tsx bench/load.ts [quick] [options]
  quick                   the short run of npm run bench (${QUICK_PLAN.logins} logins, ${QUICK_PLAN.sessions} sessions, ${QUICK_PLAN.churnRate}/s for ${QUICK_PLAN.churnSeconds} s)
  --stages login,typing,churn   which stages run (default: all three, in this order)
  --logins N              concurrent access login flows (default ${FULL_PLAN.logins})
  --sessions N            concurrent interactive sessions through one gateway (default ${FULL_PLAN.sessions})
  --open-batch N          sessions opened at once while setting them up (default ${FULL_PLAN.openBatch}, at most 100)
  --keys-per-second N     keystrokes a second over all sessions (default ${FULL_PLAN.keysPerSecond})
  --typing-seconds N      how long they type (default ${FULL_PLAN.typingSeconds})
  --typing-steps A,B,…    lower keystroke rates typed first for --step-seconds each, lowest first, up to the first that misses the target (default ${FULL_PLAN.typingSteps.join(',')}; "none": skip)
  --churn-rate N          new sessions a second in stage 3 (default ${FULL_PLAN.churnRate})
  --churn-seconds N       how long stage 3 runs (default ${FULL_PLAN.churnSeconds})
  --churn-steps A,B,…     lower session rates run first for --step-seconds each, lowest first, up to the first that misses the target (default ${FULL_PLAN.churnSteps.join(',')}; "none": skip)
  --step-seconds N        how long each step-up step runs (default ${FULL_PLAN.stepSeconds})`;

export class UsageError extends Error {
  readonly code = 'ERR_BENCH_USAGE';
}

/** The plan from the command line (`args` without node and the script); throws UsageError. */
export function parsePlan(args: readonly string[]): LoadPlan {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: [...args],
        allowPositionals: true,
        options: {
          stages: { type: 'string' },
          logins: { type: 'string' },
          sessions: { type: 'string' },
          'open-batch': { type: 'string' },
          'keys-per-second': { type: 'string' },
          'typing-seconds': { type: 'string' },
          'typing-steps': { type: 'string' },
          'churn-rate': { type: 'string' },
          'churn-seconds': { type: 'string' },
          'churn-steps': { type: 'string' },
          'step-seconds': { type: 'string' },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'quick')) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
  const base = positionals[0] === 'quick' ? QUICK_PLAN : FULL_PLAN;
  const count = (name: keyof typeof values, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not ${text}`);
    return n;
  };
  const stages = values.stages === undefined ? base.stages : values.stages.split(',').map((s) => s.trim());
  const unknown = stages.filter((s) => !(STAGE_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0 || stages.length === 0) throw new UsageError(`--stages takes ${STAGE_NAMES.join(', ')}, not ${values.stages}`);
  return {
    stages: STAGE_NAMES.filter((s) => stages.includes(s)),
    logins: count('logins', base.logins),
    sessions: count('sessions', base.sessions),
    openBatch: count('open-batch', base.openBatch, 100),
    keysPerSecond: count('keys-per-second', base.keysPerSecond),
    typingSeconds: count('typing-seconds', base.typingSeconds),
    typingSteps: parseSteps('typing-steps', values['typing-steps'], base.typingSteps),
    churnRate: count('churn-rate', base.churnRate),
    churnSeconds: count('churn-seconds', base.churnSeconds),
    churnSteps: parseSteps('churn-steps', values['churn-steps'], base.churnSteps),
    stepSeconds: count('step-seconds', base.stepSeconds),
  };
}

function parseSteps(name: string, text: string | undefined, fallback: readonly number[]): readonly number[] {
  if (text === undefined) return fallback;
  if (text === 'none') return [];
  const steps = text.split(',').map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n <= 0)) throw new UsageError(`--${name} takes whole numbers separated by commas, or none, not ${text}`);
  return [...steps].sort((a, b) => a - b);
}
