/**
 * What the recording gateway costs an engineer, side by side with a stock OpenSSH bastion
 * and a direct connection: bulk throughput, session setup time, keystroke echo latency, and
 * the gateway's memory per idle session. Prints markdown tables. See bench/README.md.
 *
 *   npx tsx bench/gateway.ts          # 512 MiB transfers, 500 idle sessions, 1,000 keystrokes
 *   npx tsx bench/gateway.ts quick    # 64 MiB, 100 sessions, 200 keystrokes
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, type Cleanup } from './lib/cleanup.ts';
import { createBenchDatabase, DEFAULT_PG_ADMIN_URL } from './lib/postgres-database.ts';
import { SSH_ALIASES, startBenchStack } from './gateway/bench-stack.ts';
import { benchEcho } from './gateway/echo-latency.ts';
import { benchIdleSessions } from './gateway/idle-sessions.ts';
import { benchSetup, benchTransfers, type SetupVariant } from './gateway/openssh-runs.ts';
import { makePayloadFiles } from './gateway/payload-files.ts';
import { gatewayJump } from './load/jump-connector.ts';
import { median } from './gateway/percentiles.ts';
import { echoTable, idleTable, setupTable, targetsTable, transferTable, type Measurements } from './gateway/report-tables.ts';
import { PATH_LABELS, PATH_NAMES, ssh2Connectors } from './gateway/ssh2-paths.ts';

const MIB = 1024 * 1024;
const mode = process.argv[2];
if (mode !== undefined && mode !== 'quick' && mode !== 'echo') {
  console.error('usage: npx tsx bench/gateway.ts [quick | echo]   (echo: only the keystroke echo, 2,000 keystrokes a path)');
  process.exit(2);
}
const QUICK = mode === 'quick';
const ECHO_ONLY = mode === 'echo';
const PLAN = {
  transferBytes: (QUICK ? 64 : 512) * MIB,
  transferRuns: 3,
  setupRuns: 20,
  setupWarmup: 2,
  keystrokes: QUICK ? 200 : ECHO_ONLY ? 2000 : 1000,
  echoWarmup: 20,
  echoGapMs: 5,
  idle: { sessions: QUICK ? 100 : 500, batch: 25, warmup: 5, settleMs: 3_000 },
};

async function main(cleanup: Cleanup): Promise<void> {
  const began = performance.now();
  const progress = (line: string) => console.error(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const load = loadavg()[0]!;
  const pgAdminUrl = process.env['ACCESS_BENCH_PG_URL'] ?? DEFAULT_PG_ADMIN_URL;
  const nodeFlags = process.env['ACCESS_BENCH_SERVER_NODE_FLAGS']?.split(' ').filter(Boolean);

  const root = await mkdtemp(join(tmpdir(), 'access-bench-gateway-'));
  cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
  const database = pgAdminUrl ? await createBenchDatabase(pgAdminUrl) : undefined;
  if (database) cleanup.defer(`drop database ${database.name}`, () => database.drop());
  const stack = await startBenchStack({ root, databaseUrl: database?.url, nodeFlags, progress }, cleanup);
  const connectors = ssh2Connectors(stack);
  if (ECHO_ONLY) {
    progress(`keystroke echo × ${PLAN.keystrokes} per path`);
    const echo = await benchEcho(connectors, PATH_NAMES, { keystrokes: PLAN.keystrokes, warmup: PLAN.echoWarmup, gapMs: PLAN.echoGapMs });
    console.log(`### Keystroke echo: one byte to \`cat\` in a raw terminal and back, after ${PLAN.echoWarmup} warm-up\n\n${echoTable(echo)}\n`);
    console.log(`- machine: ${cpus().length} CPUs, 1-minute load average ${load.toFixed(2)} at start and ${loadavg()[0]!.toFixed(2)} at the end`);
    progress('done');
    return;
  }

  // First, while the gateway process is fresh: its memory is not yet shaped by big transfers.
  progress(`${PLAN.idle.sessions} idle interactive sessions through the gateway`);
  // Each from its own loopback address, as engineers on their own machines: from one
  // address the gateway's per-address limits on new connections would refuse most of them.
  const idle = await benchIdleSessions(gatewayJump(stack), stack.serverPid, PLAN.idle, progress);

  progress(`session setup: ssh <path> true × ${PLAN.setupRuns} per path`);
  const setupVariants: SetupVariant[] = [
    ...PATH_NAMES.map((p) => ({ key: p, sshConfig: stack.sshConfig, alias: SSH_ALIASES[p] })),
    ...(['bastion', 'direct'] as const).map((p) => ({ key: `${p}-curve25519`, sshConfig: stack.sshConfigCurve25519, alias: SSH_ALIASES[p] })),
  ];
  const setup = await benchSetup(setupVariants, { runs: PLAN.setupRuns, warmup: PLAN.setupWarmup });

  progress(`keystroke echo × ${PLAN.keystrokes} per path`);
  const echo = await benchEcho(connectors, PATH_NAMES, { keystrokes: PLAN.keystrokes, warmup: PLAN.echoWarmup, gapMs: PLAN.echoGapMs });

  const files = await makePayloadFiles(cleanup, PLAN.transferBytes);
  const transfer = (kind: 'binary' | 'text') => {
    progress(`bulk transfers, ${kind}: ${PLAN.transferBytes / MIB} MiB up and down × ${PLAN.transferRuns} per path`);
    return benchTransfers(stack.sshConfig, SSH_ALIASES, PATH_NAMES, { file: files[kind], bytes: PLAN.transferBytes, runs: PLAN.transferRuns, timeoutMs: 120_000, watchPid: stack.serverPid });
  };
  const transfers = { binary: await transfer('binary'), text: await transfer('text') };

  const m: Measurements = { transfers, setup, echo, idle, idleRequested: PLAN.idle.sessions };
  const size = PLAN.transferBytes / MIB;
  console.log(`### Bulk transfer, ${size} MiB each way, median of ${PLAN.transferRuns} (MB = 10^6 bytes)\n\n${transferTable(transfers)}\n`);
  console.log(`### Session setup: \`ssh <path> true\`, wall time, after ${PLAN.setupWarmup} warm-up runs\n\n${setupTable(setup)}\n`);
  console.log(`### Keystroke echo: one byte to \`cat\` in a raw terminal and back, after ${PLAN.echoWarmup} warm-up\n\n${echoTable(echo)}\n`);
  console.log(`### Memory per idle session: the access-server process (CA + gateway), /proc/${stack.serverPid}/status\n\n${idleTable(idle)}\n`);
  console.log(`### Targets\n\n${targetsTable(m)}\n`);

  const notes = [
    `database: ${database ? 'PostgreSQL' : 'PGlite (ACCESS_BENCH_PG_URL is empty)'}; the gateway records every session there (content up to 64 MiB a session, then byte counts)`,
    "one target sshd for all three paths: it trusts the upstream CA (the gateway signs in with per-session certificates) and the user CA (the bastion and direct paths use the engineer's own certificate)",
    'transfers and setup use the stock OpenSSH client (`ssh -F … <alias>`, ProxyJump for the gateway and the bastion) with its defaults: where OpenSSH talks to OpenSSH, chacha20-poly1305 and the sntrup761x25519 key exchange; on each hop the gateway terminates, aes128-gcm and curve25519 (what the gateway offers)',
    'upload is timed on the target from the start of the remote command to its last byte read; download from the first byte received to the last; setup is the whole `ssh … true` process, including the jump process',
    `echo and idle sessions use in-process ssh2 clients (aes128-gcm on every hop of every path), one SSH connection (two for a jump) per session, as each engineer's \`ssh -J\` has; the paths take turns keystroke by keystroke, ${PLAN.echoGapMs} ms apart`,
    `idle sessions: each from its own loopback address (127.1.x.y), opened ${PLAN.idle.batch} at a time after ${PLAN.idle.warmup} warm-up sessions; RSS read before, after each batch (for the slope) and ${PLAN.idle.settleMs / 1000} s after the last, once the process is quiet; V8 collects garbage when it likes, so single readings move by a few MiB`,
    `machine: ${cpus().length} CPUs, Node ${process.versions.node}, 1-minute load average ${load.toFixed(2)} at start and ${loadavg()[0]!.toFixed(2)} at the end; the clients, the gateway or bastion, the target sshd and PostgreSQL all share these CPUs`,
  ];
  const busy = (kind: 'binary' | 'text') => (median(transfers[kind].gateway.busyAfterMs) / 1000).toFixed(1);
  notes.push(
    `after a transfer through the gateway ended, access-server stayed busy for a median ${busy('binary')} s (binary) and ${busy('text')} s (text), writing the recording; every transfer starts once it is quiet again (≥ 0.25 s)`,
  );
  for (const path of PATH_NAMES.filter((p) => setup[p]!.lostExitStatus > 0)) {
    notes.push(
      `${setup[path]!.lostExitStatus} of ${setup[path]!.wallMs.length} \`ssh … true\` runs ${PATH_LABELS[path]} exited 255 without a message: the session closed without an exit status` +
        (path === 'gateway' ? " (the gateway starts listening for the target's exit status only once the recording row is written, so a command that ends sooner loses it)" : ''),
    );
  }
  for (const path of PATH_NAMES) {
    const hung = transfers.binary[path].hungAtEnd + transfers.text[path].hungAtEnd;
    if (hung === 0) continue;
    notes.push(
      `${hung} transfer(s) ${PATH_LABELS[path]} delivered every byte but the session did not end within 10 s (ssh was killed; the rate still counts)` +
        (path === 'gateway' ? ": the gateway waits for a 'drain' that a stream emits only after a write() returned false, so exit status and close are never sent when the last output is still buffered below the high-water mark" : ''),
    );
  }
  for (const note of notes) console.log(`- ${note}`);
  progress('done');
}

await runBench('bench/gateway', 570_000, main);
