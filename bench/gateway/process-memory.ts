import { readFileSync } from 'node:fs';
import { processCpuSeconds } from '../lib/process-cpu.ts';

export interface ProcessMemory {
  /** Resident set size (VmRSS), KiB. */
  rssKib: number;
  /** Of which anonymous memory (RssAnon: heaps, buffers), KiB. */
  anonKib: number;
}

/** A process's resident memory from /proc/<pid>/status. */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKib: field('VmRSS'), anonKib: field('RssAnon') };
}

/**
 * Waits until `pid` has used less than `idleShare` of a core for `windowMs` (sessions that
 * were closed have been recorded and torn down), or `timeoutMs` passed; resolves true when quiet.
 */
export async function waitUntilQuiet(pid: number, { windowMs = 500, idleShare = 0.05, timeoutMs = 20_000 } = {}): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const before = processCpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if ((processCpuSeconds(pid) - before) / (windowMs / 1000) < idleShare) return true;
  }
  return false;
}
