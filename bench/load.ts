/**
 * Load: many logins at once against the CA, many typing sessions on one gateway, and a
 * steady stream of new sessions through it. One table per stage. See bench/README.md.
 *
 *   npx tsx bench/load.ts             # 200 logins; 1,000 sessions typing 1,000 keys/s for 60 s; 100 sessions/s for 60 s
 *   npx tsx bench/load.ts quick       # 40 logins; 100 sessions, 100 keys/s, 15 s; 5 sessions/s, 10 s
 *   npx tsx bench/load.ts --help      # every size can be set
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchStack } from './gateway/bench-stack.ts';
import { runBench, type Cleanup } from './lib/cleanup.ts';
import { createBenchDatabase, DEFAULT_PG_ADMIN_URL } from './lib/postgres-database.ts';
import { churnStage } from './load/churn-stage.ts';
import { gatewayJump } from './load/jump-connector.ts';
import { parsePlan, UsageError, USAGE, type LoadPlan } from './load/load-plan.ts';
import { loginStage } from './load/login-stage.ts';
import { findSshdPid } from './load/sshd-tree-cpu.ts';
import { isAlive } from './load/resource-sampler.ts';
import { rowResult, stageTable, type StageRow } from './load/stage-table.ts';
import { typingStage } from './load/typing-stage.ts';

let plan: LoadPlan;
try {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  plan = parsePlan(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}

/** Each hop of a churn session may take this long before it counts as failed. */
const HOP_TIMEOUT_MS = 10_000;

/** The watchdog: generous for each stage's size, and under the 15 minutes the target sshd lives (test/support/process.ts). */
function budgetMs(p: LoadPlan): number {
  const has = (stage: LoadPlan['stages'][number]) => p.stages.includes(stage);
  const steps = (rates: readonly number[], below: number) => rates.filter((r) => r < below).length;
  // Logins twice (PGlite, PostgreSQL); sessions opened at ≥ 4/s; each step or run plus its settling.
  const login = has('login') ? 2 * (60 + p.logins * 0.3) : 0;
  const typing = has('typing') ? 90 + p.sessions * 0.25 + p.typingSeconds + steps(p.typingSteps, p.keysPerSecond) * (p.stepSeconds + 30) : 0;
  const churn = has('churn') ? 60 + p.churnSeconds * 2 + steps(p.churnSteps, p.churnRate) * (p.stepSeconds + 40) : 0;
  return Math.min(60 + login + typing + churn, 14 * 60) * 1000;
}

async function main(cleanup: Cleanup): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => console.error(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const loadAtStart = loadavg();
  let stopping = false;
  // Registered for cleanup after each server starts, so that on Ctrl-C or the watchdog it
  // runs before that server is stopped: no new logins, keystrokes or sessions meanwhile.
  const stopStartingWork = () => {
    stopping = true;
  };
  const isStopping = () => stopping;
  const failed: string[] = [];
  const report = (title: string, rows: StageRow[]) => {
    const crashed = rows.find((r) => r.use.exited !== undefined);
    if (crashed) console.error(`access-server exited during "${crashed.step}"; the end of its stderr:\n${crashed.use.exited}\n`);
    console.log(`### ${title}\n\n${stageTable(rows)}\n`);
    for (const r of rows) if (rowResult(r) === 'fail') failed.push(`${title}: ${r.step}`);
  };

  const pgAdminUrl = process.env['ACCESS_BENCH_PG_URL'] ?? DEFAULT_PG_ADMIN_URL;
  const nodeFlags = process.env['ACCESS_BENCH_SERVER_NODE_FLAGS']?.split(' ').filter(Boolean);

  if (plan.stages.includes('login')) {
    // What `--dev` uses by default (the embedded PGlite), then the same on PostgreSQL: the difference is the database's share.
    const rows = await loginStage({ logins: plan.logins, databaseUrl: undefined, nodeFlags, stopStartingWork }, cleanup, progress);
    if (pgAdminUrl && !stopping) {
      const database = await createBenchDatabase(pgAdminUrl);
      const drop = cleanup.defer(`drop database ${database.name}`, () => database.drop());
      rows.push(...(await loginStage({ logins: plan.logins, databaseUrl: database.url, nodeFlags, stopStartingWork }, cleanup, progress)));
      await drop();
    }
    if (stopping) return;
    report(`Stage 1: ${plan.logins} concurrent \`access login\` flows (access-server start --dev)`, rows);
  }

  if (plan.stages.includes('typing') || plan.stages.includes('churn')) {
    const root = await mkdtemp(join(tmpdir(), 'access-bench-load-'));
    cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
    const database = pgAdminUrl ? await createBenchDatabase(pgAdminUrl) : undefined;
    if (database) cleanup.defer(`drop database ${database.name}`, () => database.drop());
    const stack = await startBenchStack({ root, databaseUrl: database?.url, nodeFlags, progress }, cleanup);
    cleanup.defer('stop starting sessions', stopStartingWork);
    const dbName = database ? 'PostgreSQL' : 'PGlite';
    const pids = { gateway: stack.serverPid, target: findSshdPid(stack.targetPort) };
    if (pids.target === undefined) progress('could not find the target sshd in /proc: its CPU is not shown');

    if (plan.stages.includes('typing')) {
      const rows = await typingStage(gatewayJump(stack), pids, plan, progress, isStopping);
      if (stopping) return;
      report(`Stage 2: ${plan.sessions} interactive sessions on one gateway, typing (access-server start --ssh-addr, ${dbName})`, rows);
    }
    if (plan.stages.includes('churn') && !isAlive(pids.gateway)) progress('stage 3 skipped: the access-server process is gone');
    else if (plan.stages.includes('churn')) {
      const rows = await churnStage(gatewayJump(stack, HOP_TIMEOUT_MS), pids, plan, progress, isStopping);
      if (stopping) return;
      report(`Stage 3: ${plan.churnRate} new sessions a second for ${plan.churnSeconds} s (same gateway, ${dbName})`, rows);
    }
  }

  const notes = [
    'latencies run from the scheduled time (open loop) for keystrokes and new sessions, from the common start for the logins and the shells opened; p99 is nearest-rank',
    'RSS and CPU "server": the access-server process of the stage (stage 1: CA + dev IdP; stages 2–3: CA + gateway in one process), read from /proc every 0.5 s; CPU 100 % = one core, machine 100 % = every core',
    "stages 2–3: one target sshd (OpenSSH, MaxStartups 100) for every session; the gateway signs in to it with a per-session certificate; engineers are in-process ssh2 clients doing what ssh -J does (outer connection to the gateway with TCP_NODELAY, direct-tcpip to web-1:22, the inner connection inside it)",
    `machine: ${cpus().length} CPUs, Node ${process.versions.node}; 1-minute load average ${loadAtStart[0]!.toFixed(2)} at the start (5-minute ${loadAtStart[1]!.toFixed(2)}) and ${loadavg()[0]!.toFixed(2)} at the end; the generator, the server, sshd and PostgreSQL share these CPUs`,
  ];
  for (const note of notes) console.log(`- ${note}`);
  if (failed.length > 0) {
    console.log(`\nTargets missed: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
  progress('done');
}

await runBench('bench/load', budgetMs(plan), main);
