import type { FastifyInstance } from 'fastify';
import { markdownTable } from '../lib/markdown-table.ts';
import { ms } from '../lib/stats.ts';
import { seededPick, type BenchQuery } from './bench-queries.ts';

export const TARGET_P95_MS = 200;

export interface QueryResult {
  name: string;
  samples: number[];
  p50: number;
  p95: number;
  max: number;
  /** Rows on a page: the median, and the range. */
  rows: { median: number; min: number; max: number };
  /** Text searches: pages that stopped at the scan bound, and the median of events read. */
  text?: { partial: number; scanned: number };
}

interface Page {
  events?: unknown[];
  sessions?: unknown[];
  scanned?: number | null;
  partial?: boolean;
}

/** Nearest-rank percentile of sorted values. */
const rank = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/**
 * Each query `warmup` times untimed and then `runs` times timed, one request at a time, through
 * the CA's real HTTP stack (fastify inject: routing, the bearer-token check against the
 * database, query parsing, the search, JSON). Any answer but 200 fails the bench.
 */
export async function measureQueries(app: FastifyInstance, token: string, queries: readonly BenchQuery[], plan: { warmup: number; runs: number }): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const [index, query] of queries.entries()) {
    const pick = seededPick(index + 1);
    const samples: number[] = [];
    const rows: number[] = [];
    const scanned: number[] = [];
    let partial = 0;
    for (let i = 0; i < plan.warmup + plan.runs; i++) {
      const url = query.url(pick);
      const started = performance.now();
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      const elapsed = performance.now() - started;
      if (response.statusCode !== 200) throw new Error(`${query.name}: GET ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (i < plan.warmup) continue;
      const page = response.json<Page>();
      samples.push(elapsed);
      rows.push((page.events ?? page.sessions ?? []).length);
      if (typeof page.scanned === 'number') {
        scanned.push(page.scanned);
        if (page.partial) partial += 1;
      }
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const sortedRows = [...rows].sort((a, b) => a - b);
    results.push({
      name: query.name,
      samples,
      p50: rank(sorted, 50),
      p95: rank(sorted, 95),
      max: sorted.at(-1)!,
      rows: { median: rank(sortedRows, 50), min: sortedRows[0]!, max: sortedRows.at(-1)! },
      ...(scanned.length > 0 ? { text: { partial, scanned: rank([...scanned].sort((a, b) => a - b), 50) } } : {}),
    });
  }
  return results;
}

export function resultsTable(results: readonly QueryResult[]): string {
  const rowsCell = (r: QueryResult['rows']) => (r.min === r.max ? String(r.median) : `${r.median} (${r.min}–${r.max})`);
  return markdownTable(
    ['query', 'p50 ms', 'p95 ms', 'max ms', 'rows', 'text scan', 'target', 'result'],
    results.map((r) => [
      r.name,
      ms(r.p50),
      ms(r.p95),
      ms(r.max),
      rowsCell(r.rows),
      r.text ? `read ${r.text.scanned.toLocaleString('en-US')}, ${r.text.partial}/${r.samples.length} partial` : '',
      `p95 < ${TARGET_P95_MS} ms`,
      r.p95 < TARGET_P95_MS ? 'pass' : '**FAIL**',
    ]),
  );
}
