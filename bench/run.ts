/**
 * Runs every bench script in bench/ (each top-level *.ts file but this one) one after
 * another, or only those named on the command line, and exits non-zero if any fails.
 *
 *   npm run bench                 # all
 *   npm run bench -- sign         # only bench/sign.ts
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/**
 * Short runs for scripts whose own default is long (run a script directly for the full
 * run, e.g. `npx tsx bench/fuzz-sshcert.ts`). Scripts not listed get no arguments.
 */
const QUICK_ARGS: Readonly<Record<string, readonly string[]>> = {
  'fuzz-sshcert.ts': ['20000'],
  'audit.ts': ['quick'],
  'audit-append.ts': ['500'],
  'login.ts': ['50'],
  'gateway.ts': ['quick'],
  'fuzz-gateway.ts': ['quick'],
  'faults.ts': ['quick'],
  'fuzz-http.ts': ['quick'],
  'load.ts': ['quick'],
};
/** Each script bounds itself; this only catches one that hangs. */
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

const available = readdirSync(BENCH_DIR)
  .filter((name) => name.endsWith('.ts') && name !== basename(fileURLToPath(import.meta.url)) && !name.endsWith('.test.ts'))
  .sort();
const wanted = process.argv.slice(2).map((name) => (name.endsWith('.ts') ? name : `${name}.ts`));
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`bench: no such bench script: ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const scripts = wanted.length > 0 ? wanted : available;

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The child cleans up after itself on SIGTERM (temporary directories, servers, databases).
    if (current && current.exitCode === null) current.kill('SIGTERM');
    else process.exit(130);
  });
}

/** Runs one script with tsx, output straight through; resolves to its exit status. */
function runScript(script: string): Promise<number> {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', join(BENCH_DIR, script), ...(QUICK_ARGS[script] ?? [])];
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    current = child;
    const timer = setTimeout(() => {
      console.error(`bench: ${script} ran longer than ${SCRIPT_TIMEOUT_MS / 60_000} minutes; stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    }, SCRIPT_TIMEOUT_MS);
    child.once('error', (error) => {
      console.error(`bench: could not start ${script}: ${error.message}`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

const results: Array<{ script: string; status: number; seconds: number }> = [];
for (const script of scripts) {
  console.log(`\n## bench/${script} ${(QUICK_ARGS[script] ?? []).join(' ')}\n`);
  const started = performance.now();
  const status = await runScript(script);
  results.push({ script, status, seconds: (performance.now() - started) / 1000 });
}

console.log('\n## Summary\n');
for (const r of results) console.log(`- bench/${r.script}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`} in ${r.seconds.toFixed(0)} s`);
process.exitCode = results.some((r) => r.status !== 0) ? 1 : 0;
