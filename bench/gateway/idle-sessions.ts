import { processMemory, waitUntilQuiet, type ProcessMemory } from './process-memory.ts';
import { openShell, type Ssh2Connect, type Ssh2Link } from './ssh2-paths.ts';

export interface IdleSessionsPlan {
  sessions: number;
  /** Sessions opened at once; the target's sshd refuses more than MaxStartups (100) unauthenticated connections. */
  batch: number;
  warmup: number;
  /** After the last session opened, how long to wait before reading the RSS. */
  settleMs: number;
}

export interface IdleSessionsResult {
  opened: number;
  errors: number;
  firstError: string | undefined;
  before: ProcessMemory;
  after: ProcessMemory;
  /** Seconds from the first batch to the last session's shell. */
  openSeconds: number;
  /** Least-squares slope of RSS over sessions open, one point per batch: less at the mercy of one garbage collection than after − before. */
  slopeKib: number;
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : NaN;
}

async function openIdleShell(connect: Ssh2Connect): Promise<Ssh2Link> {
  const link = await connect();
  try {
    const shell = await openShell(link.client);
    // Idle: the prompt arrives and nothing else; read it so no window fills.
    shell.resume();
    shell.stderr.resume();
    return link;
  } catch (error) {
    link.close();
    throw error;
  }
}

/**
 * Opens `sessions` interactive shells (pty) through one path and reads `pid`'s RSS before
 * and after: what each idle session costs the process that carries it. Every session has
 * its own SSH connection, as each engineer's `ssh -J` does. They are closed again at the end.
 */
export async function benchIdleSessions(connect: Ssh2Connect, pid: number, plan: IdleSessionsPlan, progress: (line: string) => void): Promise<IdleSessionsResult> {
  for (let i = 0; i < plan.warmup; i += 1) (await openIdleShell(connect)).close();
  await waitUntilQuiet(pid);
  const before = processMemory(pid);
  const growth = [{ x: 0, y: before.rssKib }];

  const links: Ssh2Link[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  try {
    for (let opened = 0; opened < plan.sessions; opened += plan.batch) {
      const size = Math.min(plan.batch, plan.sessions - opened);
      const results = await Promise.allSettled(Array.from({ length: size }, () => openIdleShell(connect)));
      for (const r of results) {
        if (r.status === 'fulfilled') links.push(r.value);
        else {
          errors += 1;
          firstError ??= (r.reason as Error).message;
        }
      }
      growth.push({ x: links.length, y: processMemory(pid).rssKib });
      if ((opened / plan.batch) % 4 === 3) progress(`  ${links.length} idle sessions open, ${errors} failed`);
    }
    const openSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, plan.settleMs));
    await waitUntilQuiet(pid);
    const after = processMemory(pid);
    growth.push({ x: links.length, y: after.rssKib });
    return { opened: links.length, errors, firstError, before, after, openSeconds, slopeKib: slope(growth) };
  } finally {
    for (const link of links) link.close();
    await waitUntilQuiet(pid, { timeoutMs: 30_000 });
  }
}
