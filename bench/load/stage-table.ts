import { markdownTable } from '../lib/markdown-table.ts';
import { ms } from '../lib/stats.ts';
import type { ResourceUse } from './resource-sampler.ts';

/** One row of a stage's table: what was offered, what came back, what it cost. */
export interface StageRow {
  step: string;
  /** What was asked for, e.g. "200 at once" or "100/s for 60 s". */
  load: string;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  use: ResourceUse;
  /** "p99 < 500 ms, no errors", or empty when the row has no target. */
  target: string;
  /** pass/fail, or empty. */
  result: string;
  notes: string[];
}

const HEADER = ['Step', 'Load', 'OK', 'Errors', 'p50 ms', 'p99 ms', 'max ms', 'RSS MiB start → peak', 'CPU % server / bench / target sshd / machine', 'Load avg start → peak', 'Target', 'Result', 'Notes'];

const whole = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '—');

/** The line of a crashed process's stderr that names the error, e.g. "Error [ERR_…]: …" or "RangeError: …". */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  return (lines.find((l) => /^(\w*Error\b|error:|FATAL|Uncaught)/.test(l)) ?? lines.at(-1) ?? '').slice(0, 200);
}

/** A row's result: pass/fail as the stage judged it, fail whatever it said when the server died during it. */
export function rowResult(r: StageRow): string {
  return r.use.exited === undefined ? r.result : 'fail';
}

export function stageTable(rows: readonly StageRow[]): string {
  return markdownTable(
    HEADER,
    rows.map((r) => [
      r.step,
      r.load,
      String(r.ok),
      String(r.errors),
      ms(r.p50),
      ms(r.p99),
      ms(r.max),
      `${whole(r.use.rssMib.start)} → ${whole(r.use.rssMib.peak)}`,
      `${whole(r.use.cpu.process)} / ${whole(r.use.cpu.self)} / ${whole(r.use.targetCpu)} / ${whole(r.use.cpu.machine)}`,
      `${r.use.load.start.toFixed(2)} → ${r.use.load.peak.toFixed(2)}`,
      r.target,
      rowResult(r),
      [...(r.use.exited === undefined ? [] : [`THE SERVER PROCESS EXITED: ${errorLine(r.use.exited)} (its stderr is printed above the table)`]), ...r.notes].join('; '),
    ]),
  );
}

/** Counts of errors by message, most frequent first, for the notes ("3× timed out, 1× …"). */
export class ErrorTally {
  private readonly counts = new Map<string, number>();

  add(error: unknown): void {
    // Numbers in messages (ports, ids, times) would split one kind of error into many.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\d+/g, 'N').slice(0, 160);
    this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
  }

  get total(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }

  summary(limit = 3): string {
    const sorted = [...this.counts].sort((a, b) => b[1] - a[1]);
    return sorted
      .slice(0, limit)
      .map(([message, n]) => `${n}× ${message}`)
      .join(', ');
  }
}
