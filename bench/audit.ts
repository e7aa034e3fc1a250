/**
 * Audit log search and session listing on a large PostgreSQL database: p50/p95/max of each
 * query through the CA's HTTP routes (GET /v1/audit, GET /v1/sessions). See bench/README.md.
 *
 *   npx tsx bench/audit.ts          # 1,000,000 audit events and 10,000 sessions over 90 days
 *   npx tsx bench/audit.ts quick    # 50,000 events and 500 sessions, fewer runs
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, loadConfig, openServices } from '@access/ca';
import pg from 'pg';
import { runBench, type Cleanup } from './lib/cleanup.ts';
import { createBenchDatabase, DEFAULT_PG_ADMIN_URL } from './lib/postgres-database.ts';
import { auditQueries, sessionQueries } from './audit/bench-queries.ts';
import { benchShape } from './audit/event-rows.ts';
import { loadBenchDatabase } from './audit/load-database.ts';
import { measureQueries, resultsTable, TARGET_P95_MS } from './audit/measure-queries.ts';
import { TEXT_SCAN_LIMITS } from '../services/ca/src/audit/audit-text-scan.ts';

const mode = process.argv[2];
if (mode !== undefined && mode !== 'quick') {
  console.error('usage: npx tsx bench/audit.ts [quick]');
  process.exit(2);
}
const QUICK = mode === 'quick';
const PLAN = { events: QUICK ? 50_000 : 1_000_000, days: 90, warmup: QUICK ? 2 : 3, runs: QUICK ? 10 : 40 };

async function main(cleanup: Cleanup): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => console.error(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const load = loadavg()[0]!;
  const pgAdminUrl = process.env['ACCESS_BENCH_PG_URL'] || DEFAULT_PG_ADMIN_URL;

  const database = await createBenchDatabase(pgAdminUrl);
  cleanup.defer(`drop database ${database.name}`, () => database.drop());
  const shape = benchShape(PLAN.events, PLAN.days, new Date());
  progress(`loading ${shape.events.toLocaleString('en-US')} audit events and ${shape.sessions.toLocaleString('en-US')} sessions into ${database.name}`);
  const loaded = await loadBenchDatabase(database.url, shape, progress);

  const dataDir = await mkdtemp(join(tmpdir(), 'access-bench-audit-'));
  cleanup.defer(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const services = await openServices(loadConfig({ dataDir, databaseUrl: database.url }, {}), { initKeysIfMissing: true });
  cleanup.defer('close the CA services', () => services.close());
  const app = await buildApp(services);
  cleanup.defer('close the CA app', () => app.close());
  const { token } = await services.tokens.create({ role: 'admin', description: 'bench' }, { kind: 'cli', id: 'bench' });

  const queries = [...auditQueries(shape), ...sessionQueries(shape)];
  progress(`${queries.length} queries × ${PLAN.runs} runs (after ${PLAN.warmup} warm-up runs each)`);
  const results = await measureQueries(app, token, queries, PLAN);
  const version = await serverVersion(database.url);

  console.log(`### Audit search and session listing: ${shape.events.toLocaleString('en-US')} events, ${shape.sessions.toLocaleString('en-US')} sessions, PostgreSQL\n`);
  console.log(`${resultsTable(results)}\n`);
  const failed = results.filter((r) => r.p95 >= TARGET_P95_MS);
  const notes = [
    `${failed.length === 0 ? 'every query met' : `${failed.length} of ${results.length} queries missed`} the target p95 < ${TARGET_P95_MS} ms`,
    `latency: one request at a time through fastify inject on a real CA app (routing, bearer-token check in the database, query parsing, the search, JSON); ${PLAN.runs} timed runs per query after ${PLAN.warmup} warm-up runs, each run with its own user, day, session or cursor`,
    `data: ${shape.events.toLocaleString('en-US')} audit events over ${PLAN.days} days (one every ${(shape.stepMs / 1000).toFixed(1)} s), ${shape.users} users, ${shape.hosts} hosts, ${shape.sessions.toLocaleString('en-US')} sessions each with its start, exec or file transfer, and end events; loaded in ${loaded.seconds.toFixed(0)} s; audit_events ${loaded.sizes.table} + indexes ${loaded.sizes.indexes}`,
    `text search reads at most ${TEXT_SCAN_LIMITS.rows.toLocaleString('en-US')} events matching the other filters, and only ${TEXT_SCAN_LIMITS.span.toLocaleString('en-US')} seqs back, per page ("read": events read for the page, median; "partial": pages that stopped at that bound and return a cursor to go on)`,
    `${version}, default settings (shared_buffers etc.) on the same machine; ${cpus().length} CPUs, Node ${process.versions.node}, 1-minute load average ${load.toFixed(2)} at start and ${loadavg()[0]!.toFixed(2)} at the end`,
  ];
  for (const note of notes) console.log(`- ${note}`);
  progress('done');
  if (failed.length > 0) process.exitCode = 1;
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version') as v`);
    return `PostgreSQL ${rows[0]!.v}`;
  } finally {
    await client.end();
  }
}

await runBench('bench/audit', 570_000, main);
