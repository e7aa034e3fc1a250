import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { processMemory } from '../gateway/process-memory.ts';
import { serverStderrTail } from '../lib/ca-server-process.ts';
import { withCpuShare, type CpuShares } from '../lib/process-cpu.ts';
import { treeCpuSeconds } from './sshd-tree-cpu.ts';

/** What one server process and the machine did during a stage. */
export interface ResourceUse {
  /** VmRSS of the watched process, MiB: at the start, the largest reading, at the end. */
  rssMib: { start: number; peak: number; end: number };
  /** The watched process (100 % = one core), this process and the machine (100 % = every core). */
  cpu: CpuShares;
  /** The target sshd with its sessions' processes (100 % = one core); NaN when there is none. */
  targetCpu: number;
  /** The 1-minute load average at the start, the largest reading and at the end. */
  load: { start: number; peak: number; end: number };
  /** Set when the watched process was gone at the end: the end of what it wrote to stderr. */
  exited: string | undefined;
}

/** The processes a gateway stage watches: access-server (CA + gateway) and the target sshd. */
export interface StagePids {
  gateway: number;
  target: number | undefined;
}

const mib = (kib: number) => kib / 1024;

/** True while `pid` exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** VmRSS in MiB, NaN once the process is gone. */
function rssMib(pid: number): number {
  try {
    return mib(processMemory(pid).rssKib);
  } catch {
    return NaN;
  }
}

/**
 * Runs `fn` while reading `pid`'s RSS and the load average every `everyMs`, and measures
 * the CPU used meanwhile: the resource columns of every stage's table.
 */
export async function withResourceUse<T>(pid: number, fn: () => Promise<T>, targetPid?: number, everyMs = 500): Promise<{ result: T; use: ResourceUse }> {
  const targetBefore = targetPid === undefined ? NaN : treeCpuSeconds(targetPid);
  const started = performance.now();
  const rss = { start: rssMib(pid), peak: 0, end: 0 };
  rss.peak = rss.start;
  const load = { start: loadavg()[0]!, peak: loadavg()[0]!, end: 0 };
  const sample = () => {
    const now = rssMib(pid);
    if (now > rss.peak) rss.peak = now;
    load.peak = Math.max(load.peak, loadavg()[0]!);
  };
  const timer = setInterval(sample, everyMs);
  try {
    const { result, cpu } = await withCpuShare(pid, fn);
    sample();
    rss.end = rssMib(pid);
    load.end = loadavg()[0]!;
    const targetCpu = targetPid === undefined ? NaN : ((treeCpuSeconds(targetPid) - targetBefore) / ((performance.now() - started) / 1000)) * 100;
    const exited = isAlive(pid) ? undefined : serverStderrTail(pid).trim() || '(nothing on stderr)';
    return { result, use: { rssMib: rss, cpu, targetCpu, load, exited } };
  } finally {
    clearInterval(timer);
  }
}
