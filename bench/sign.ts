/**
 * How fast the CA signs: in process, against `ssh-keygen -s`, and over HTTP under an
 * open-loop load on both database backends. Prints one markdown table. See bench/README.md.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPublicKey, generateCaKey } from '@access/sshcert';
import { runBench, type Cleanup } from './lib/cleanup.ts';
import { markdownTable } from './lib/markdown-table.ts';
import { createBenchDatabase, DEFAULT_PG_ADMIN_URL } from './lib/postgres-database.ts';
import { ms, perSecond } from './lib/stats.ts';
import { benchHttp, type HttpLoadPlan, type HttpLoadResult, type StageResult } from './sign/http-load.ts';
import { benchAuthority, benchSignCertificate, type RateResult } from './sign/in-process.ts';
import { benchSshKeygen } from './sign/ssh-keygen-spawn.ts';

const TARGET_RATIO = 20;
const TARGET_P99_MS = 10;
const IN_PROCESS_CERTS = 20_000;
const AUTHORITY_CERTS = { count: 2_000, budgetMs: 4_000 };
const SSH_KEYGEN_CERTS = 200;
const HTTP_PLAN: HttpLoadPlan = {
  warmup: { rate: 100, durationMs: 2_000 },
  steady: { rate: 500, durationMs: 10_000 },
  steps: { rates: [100, 250, 500, 1_000, 1_500], durationMs: 5_000 },
  timeoutMs: 3_000,
  giveUpP99Ms: 250,
  targetP99Ms: TARGET_P99_MS,
  drainMs: 15_000,
};

type Row = string[];
const HEADER = ['Benchmark', 'Load', 'Achieved', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'Errors', 'Verdict / notes'];

const rateRow = (name: string, load: string, r: RateResult, notes = ''): Row =>
  [name, load, `${perSecond(r.rate)} cert/s`, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), '0', notes];

const stageRow = (name: string, s: StageResult, seconds: number, notes: string): Row => [
  name,
  `${s.offeredRate} req/s × ${seconds} s`,
  `${perSecond(s.achievedRate)} req/s`,
  ms(s.p50),
  ms(s.p90),
  ms(s.p99),
  ms(s.max),
  String(s.errors),
  `${notes}in server: mean ${ms(s.server.meanMs)} ms, ${Math.round(s.server.shareWithin * 100)} % ≤ ${TARGET_P99_MS} ms; ` +
    `CPU: server ${Math.round(s.cpu.process)} %, generator ${Math.round(s.cpu.self)} %, machine ${Math.round(s.cpu.machine)} %; generator lag ≤ ${ms(s.maxSendLagMs)} ms`,
];

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function httpRows(label: string, http: HttpLoadResult): Row[] {
  const steadyOk = http.steady.p99 < TARGET_P99_MS && http.steady.errors === 0;
  const rows = [stageRow(`HTTP sign, ${label}`, http.steady, HTTP_PLAN.steady.durationMs / 1000, `target p99 < ${TARGET_P99_MS} ms: ${met(steadyOk)}; `)];
  rows.push(stageRow(`  floor: GET /healthz, ${label}`, http.floor, HTTP_PLAN.steady.durationMs / 1000, 'no database, no signing: what any request costs at this rate here; '));
  for (const step of http.steps) rows.push(stageRow(`  step-up, ${label}`, step, HTTP_PLAN.steps.durationMs / 1000, ''));
  for (const rate of http.skippedRates) rows.push([`  step-up, ${label}`, `${rate} req/s`, '—', '—', '—', '—', '—', '—', 'skipped: the previous step was saturated']);
  return rows;
}

function crossing(label: string, http: HttpLoadResult): string {
  const steps = http.steps;
  const first = steps.findIndex((s) => s.p99 >= TARGET_P99_MS || s.errors > 0);
  if (first < 0) return `${label}: p99 stays under ${TARGET_P99_MS} ms up to ${steps.at(-1)?.offeredRate} req/s`;
  if (first === 0) return `${label}: p99 is over ${TARGET_P99_MS} ms already at ${steps[0]!.offeredRate} req/s`;
  return `${label}: p99 passes ${TARGET_P99_MS} ms between ${steps[first - 1]!.offeredRate} and ${steps[first]!.offeredRate} req/s`;
}

/** The in-process authority path and then the HTTP load on one database backend. */
async function benchBackend(
  label: string,
  dataDir: string,
  postgres: { url: string; name: string } | undefined,
  subjectText: string,
  context: { cleanup: Cleanup; progress: (line: string) => void; nodeFlags: string[] | undefined },
): Promise<{ rows: Row[]; notes: string[] }> {
  const progress = (line: string) => context.progress(`${label}: ${line}`);
  progress('authority.sign in process (opens the database, creates CA keys and a token)');
  const authority = await benchAuthority(dataDir, postgres?.url, subjectText, AUTHORITY_CERTS);
  progress(`authority.sign ${perSecond(authority.result.rate)}/s, p99 ${ms(authority.result.p99)} ms`);
  progress('HTTP load (server child process)');
  const http = await benchHttp({ dataDir, adminToken: authority.adminToken, postgres, nodeFlags: context.nodeFlags }, subjectText, HTTP_PLAN, context.cleanup, progress);

  const rows = [
    rateRow(`authority.sign in process, ${label}`, `${authority.result.count} sequential`, authority.result, 'policy + serial + certificates row + audit append, one statement each'),
    ...httpRows(label, http),
  ];
  const notes = [crossing(label, http)];
  if (http.waits) {
    const top = http.waits.states.slice(0, 4).map((w) => `${w.state} ${Math.round(w.share * 100)} %`);
    const locks = http.waits.states.filter((w) => w.state.includes(': Lock/')).reduce((sum, w) => sum + w.share, 0);
    notes.push(
      `${label} during the ${HTTP_PLAN.steady.rate} req/s run: ${http.waits.meanBusy.toFixed(1)} backends busy on average; ` +
        `of their samples: ${top.join('; ') || 'none'}; waiting on a lock (audit_head FOR UPDATE): ${(locks * 100).toFixed(1)} %`,
    );
  }
  return { rows, notes };
}

async function main(cleanup: Cleanup): Promise<void> {
  const started = performance.now();
  const progress = (line: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const load = loadavg()[0]!;
  const pgAdminUrl = process.env['ACCESS_BENCH_PG_URL'] ?? DEFAULT_PG_ADMIN_URL;
  const nodeFlags = process.env['ACCESS_BENCH_SERVER_NODE_FLAGS']?.split(' ').filter(Boolean);

  const ca = generateCaKey('bench-ca');
  const subject = generateCaKey('bench-subject').signer.publicKey;
  const subjectText = formatPublicKey(subject);
  const root = await mkdtemp(join(tmpdir(), 'access-bench-'));
  cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));

  // Created first, so an unreachable PostgreSQL fails the run before the long parts.
  const pgDatabase = pgAdminUrl ? await createBenchDatabase(pgAdminUrl) : undefined;
  if (pgDatabase) cleanup.defer(`drop database ${pgDatabase.name}`, () => pgDatabase.drop());

  progress(`in-process signCertificate × ${IN_PROCESS_CERTS}`);
  const inProcess = benchSignCertificate(ca.signer, subject, IN_PROCESS_CERTS);
  progress(`ssh-keygen -s × ${SSH_KEYGEN_CERTS}`);
  await mkdir(join(root, 'ssh-keygen'), { mode: 0o700 });
  const keygen = await benchSshKeygen(join(root, 'ssh-keygen'), ca.privateKeyText, subjectText, SSH_KEYGEN_CERTS);
  const ratio = inProcess.rate / keygen.rate;

  const rows: Row[] = [
    rateRow('signCertificate + formatCertificate, in process', `${IN_PROCESS_CERTS.toLocaleString('en-US')} sequential`, inProcess, 'Ed25519 CA, Ed25519 subject'),
    rateRow('ssh-keygen -s, one process per certificate', `${SSH_KEYGEN_CERTS} sequential`, keygen, `in process ÷ ssh-keygen = ${ratio.toFixed(0)}× (target ≥ ${TARGET_RATIO}×: ${met(ratio >= TARGET_RATIO)})`),
  ];
  const notes: string[] = [];

  const backends: Array<{ label: string; postgres?: { url: string; name: string } }> = [{ label: 'PGlite' }];
  if (pgDatabase) backends.push({ label: 'PostgreSQL', postgres: pgDatabase });
  else notes.push('PostgreSQL: skipped (ACCESS_BENCH_PG_URL is empty)');

  for (const { label, postgres } of backends) {
    const result = await benchBackend(label, join(root, label.toLowerCase()), postgres, subjectText, { cleanup, progress, nodeFlags });
    rows.push(...result.rows);
    notes.push(...result.notes);
  }

  console.log(markdownTable(HEADER, rows));
  console.log('');
  for (const note of notes) console.log(`- ${note}`);
  console.log(`- machine: ${cpus().length} CPUs, Node ${process.versions.node}, 1-minute load average ${load.toFixed(2)} at start; the generator, the server and PostgreSQL share these CPUs`);
  console.log(`- latency runs from each request's scheduled send time to the end of its response (no coordinated omission); errors are non-201 answers and requests unanswered after ${HTTP_PLAN.timeoutMs / 1000} s`);
  progress('done');
}

await runBench('bench/sign', 170_000, main);
