import { readdirSync, readFileSync } from 'node:fs';

// Linux reports CPU times in clock ticks of 1/100 s on every common architecture.
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** CPU seconds of the process itself and of its children that have exited and were waited for. */
  seconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after it are plain numbers.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Each sshd session process uses a few milliseconds a minute: clock ticks (10 ms) would
    // round most of it away, so the process's own time comes from schedstat, in nanoseconds.
    const ownNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    const own = Number.isFinite(ownNs) ? ownNs / 1e9 : (fields[11]! + fields[12]!) / TICKS_PER_SECOND;
    return { pid, ppid: fields[1]!, seconds: own + (fields[13]! + fields[14]!) / TICKS_PER_SECOND };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s) => s !== undefined);
}

/**
 * The process tree of the sshd listening on `port`: started (through `timeout`, see
 * test/support/sshd.ts) as `… sshd -D -e -f <config>`, and that file says `Port <port>`.
 * Returns the outermost such process (the `timeout` wrapper; sshd rewrites its own title),
 * or undefined when there is none.
 */
export function findSshdPid(port: number): number | undefined {
  const found: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim().split(/\s+/);
      if (!argv.some((a) => a.endsWith('/sshd')) || !argv.includes('-D')) continue;
      const config = argv[argv.indexOf('-f') + 1];
      if (config && argv.includes('-f') && readFileSync(config, 'utf8').split('\n').includes(`Port ${port}`)) found.push(Number(name));
    } catch {
      // not ours to read, or gone
    }
  }
  return found.find((pid) => !found.includes(readStat(pid)?.ppid ?? -1)) ?? found[0];
}

/**
 * CPU seconds a process tree has used: the root and every live descendant (sshd's
 * per-connection processes, the shells and commands under them), counting the children
 * each has already waited for. A process that exits between two readings before its
 * parent waited for it is missed, and a process that exits takes its own time along until
 * its parent waits for it, so this is close, not exact.
 */
export function treeCpuSeconds(root: number): number {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) return NaN;
  let seconds = 0;
  const queue = [rootStat];
  for (let s = queue.pop(); s; s = queue.pop()) {
    seconds += s.seconds;
    queue.push(...(children.get(s.pid) ?? []));
  }
  return seconds;
}
