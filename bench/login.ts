/**
 * How long `access login` takes once the person has signed in: a CLI emulated in this
 * process against `access-server start --dev` (a child process with its dev IdP), 200
 * logins one after another and then more and more at once. See bench/README.md.
 *
 *   npx tsx bench/login.ts [sequential logins] [largest concurrency]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaServer } from './lib/ca-server-process.ts';
import { runBench, type Cleanup } from './lib/cleanup.ts';
import { getFreePort } from './lib/free-port.ts';
import { markdownTable } from './lib/markdown-table.ts';
import { ms } from './lib/stats.ts';
import { emulatedLogin, type LoginTarget } from './login/emulated-login.ts';
import { runStage, type StageResult } from './login/login-runs.ts';

const SEQUENTIAL_LOGINS = Number(process.argv[2] ?? 200);
const MAX_CONCURRENCY = Number(process.argv[3] ?? 80);
if (![SEQUENTIAL_LOGINS, MAX_CONCURRENCY].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: npx tsx bench/login.ts [sequential logins, default 200] [largest concurrency, default 80]');
  process.exit(2);
}
const CONCURRENCY_STEPS = [1, 5, 10, 20, 40, 80].filter((n) => n <= MAX_CONCURRENCY);
const STEP = { minLogins: 40, minMs: 5_000, maxLogins: 400 };
const WARMUP_LOGINS = 5;
const LIMIT_P99_MS = 1_000;
const USER = 'bob@example.com';

const HEADER = ['Stage', 'Logins', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'Errors', 'Logins/s', 'Notes'];

function row(name: string, s: StageResult): string[] {
  const p = s.phaseMedians;
  const notes = [
    `median callback ${ms(p.callbackMs)} + to loopback ${ms(p.loopbackMs)} + redeem ${ms(p.redeemMs)} + files ${ms(p.saveMs)} ms`,
    `whole login mean ${ms(s.totalMeanMs)} ms`,
    `CPU: server ${Math.round(s.cpu.process)} %, bench ${Math.round(s.cpu.self)} %, machine ${Math.round(s.cpu.machine)} %`,
  ];
  if (s.firstError) notes.push(`first error: ${s.firstError}`);
  return [name, String(s.count + s.errors), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), String(s.errors), s.throughput.toFixed(1), notes.join('; ')];
}

const saturated = (s: StageResult) => s.p99 > LIMIT_P99_MS || s.errors > 0;

function headline(steps: StageResult[]): string {
  const last = steps.at(-1);
  const fine = steps.filter((s) => !saturated(s)).at(-1);
  if (!last) return 'no concurrency steps ran';
  if (!saturated(last)) return `concurrent logins before p99 exceeds 1 s: more than ${last.concurrency} (p99 ${ms(last.p99)} ms at ${last.concurrency}, the largest step run)`;
  const why = last.errors > 0 ? `${last.errors} errors` : `p99 ${ms(last.p99)} ms`;
  return `concurrent logins before p99 exceeds 1 s: ${fine ? fine.concurrency : 'none'} (${why} at ${last.concurrency} concurrent)`;
}

async function main(cleanup: Cleanup): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => console.error(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const load = loadavg()[0]!;

  const root = await mkdtemp(join(tmpdir(), 'access-bench-login-'));
  cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'homes'), { mode: 0o700 });
  const [httpPort, idpPort] = [await getFreePort(), await getFreePort()];
  if (httpPort === idpPort) throw new Error('got the same free port twice; run again');
  const password = randomBytes(18).toString('base64url');

  progress(`starting access-server start --dev on 127.0.0.1:${httpPort} (dev IdP on 127.0.0.1:${idpPort})`);
  const server = await startCaServer({
    dataDir: join(root, 'ca'),
    startTimeoutMs: 60_000,
    httpAddr: `127.0.0.1:${httpPort}`,
    startArgs: ['--dev', '--dev-idp-addr', `127.0.0.1:${idpPort}`],
    env: { ACCESS_DEV_PASSWORD: password },
  });
  cleanup.defer('stop access-server', () => server.stop());

  // Runs first on Ctrl-C or the watchdog: no new logins against a server being stopped, and no table.
  let stopping = false;
  cleanup.defer('stop starting logins', () => {
    stopping = true;
  });
  const target: LoginTarget = { caUrl: server.url, user: USER, password, homesDir: join(root, 'homes') };
  let next = 0;
  const run = () => (stopping ? Promise.reject(new Error('the bench is stopping')) : emulatedLogin(target, next++));

  progress(`${WARMUP_LOGINS} warm-up logins`);
  const warmup = await runStage({ concurrency: 1, minLogins: WARMUP_LOGINS, minMs: 0, maxLogins: WARMUP_LOGINS }, run, server.pid);
  if (warmup.errors > 0) throw new Error(`warm-up login failed: ${warmup.firstError}`);

  progress(`${SEQUENTIAL_LOGINS} sequential logins`);
  const sequential = await runStage({ concurrency: 1, minLogins: SEQUENTIAL_LOGINS, minMs: 0, maxLogins: SEQUENTIAL_LOGINS }, run, server.pid);
  const rows = [row('sequential', sequential)];
  if (stopping) return;

  const steps: StageResult[] = [];
  for (const concurrency of CONCURRENCY_STEPS) {
    progress(`${concurrency} concurrent logins`);
    const step = await runStage({ concurrency, ...STEP }, run, server.pid);
    if (stopping) return;
    steps.push(step);
    rows.push(row(`${concurrency} concurrent`, step));
    progress(`  p99 ${ms(step.p99)} ms, ${step.throughput.toFixed(1)} logins/s, ${step.errors} errors`);
    if (saturated(step)) break;
  }
  for (const concurrency of CONCURRENCY_STEPS.slice(steps.length)) rows.push([`${concurrency} concurrent`, '—', '—', '—', '—', '—', '—', '—', 'skipped: the previous step passed 1 s p99 or had errors']);

  console.log(markdownTable(HEADER, rows));
  console.log('');
  console.log(`- ${headline(steps)}`);
  console.log(`- timed: from the IdP's redirect to the CA's /v1/login/callback until the CLI has redeemed the code and written key, certificate, known_hosts and session.json; the IdP sign-in (${USER}) is not timed`);
  console.log('- the dev IdP runs inside the CA server process, so at concurrency > 1 the untimed sign-ins of other logins compete with the timed steps for the same event loop');
  console.log(`- each step: N workers run logins back to back (closed loop) until at least ${STEP.minLogins} logins and ${STEP.minMs / 1000} s (at most ${STEP.maxLogins}; each worker at least one); latency percentiles are of the timed part; Logins/s counts whole logins; each login starts from its own 127.1.x.y address (the CA allows 20 starts a minute per address)`);
  console.log(`- machine: ${cpus().length} CPUs, Node ${process.versions.node}, 1-minute load average ${load.toFixed(2)} at start; the bench, the CA and its IdP share these CPUs`);
  progress('done');
}

await runBench('bench/login', 170_000, main);
