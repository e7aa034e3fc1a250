import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// Linux reports CPU times in clock ticks of 1/100 s on every common architecture.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far, or NaN where /proc is missing. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after it are plain numbers.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds all CPUs of the machine spent busy (not idle, not waiting for I/O), or NaN. */
function machineBusySeconds(): number {
  try {
    const [, ...times] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = times.map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export interface CpuShares {
  /** The watched process; 100 % is one core. */
  process: number;
  /** This (the load generator's) process; 100 % is one core. */
  self: number;
  /** The whole machine; 100 % is every core busy. */
  machine: number;
}

/** Measures who keeps the CPUs busy while `fn` runs. */
export async function withCpuShare<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; cpu: CpuShares }> {
  const before = { process: processCpuSeconds(pid), self: process.cpuUsage(), machine: machineBusySeconds() };
  const started = performance.now();
  const result = await fn();
  const seconds = (performance.now() - started) / 1000;
  const self = process.cpuUsage(before.self);
  return {
    result,
    cpu: {
      process: ((processCpuSeconds(pid) - before.process) / seconds) * 100,
      self: ((self.user + self.system) / 1e6 / seconds) * 100,
      machine: ((machineBusySeconds() - before.machine) / seconds / cpus().length) * 100,
    },
  };
}
