/**
 * The long variants of the fault suite: the same tests CI runs (test/robustness), with the
 * database kept away longer (the other faults have no length to stretch: they run as in CI,
 * here one after another on a quiet machine). Prints one row per test.
 *
 *   npx tsx bench/faults.ts            # PostgreSQL stopped for 30 s
 *   npx tsx bench/faults.ts quick      # 4 s, as in CI
 *   npx tsx bench/faults.ts 60         # any number of seconds (up to 300)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/markdown-table.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'test/robustness/postgres-outage.test.ts',
  'test/robustness/spool-crash.test.ts',
  'test/robustness/spool-full.test.ts',
  'test/robustness/ca-unreachable.test.ts',
  'test/robustness/target-killed.test.ts',
  'test/robustness/half-open.test.ts',
  'test/robustness/clock-skew.test.ts',
  'test/gateway/crash.test.ts',
];

const arg = process.argv[2] ?? '30';
const seconds = arg === 'quick' ? 4 : Number(arg);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 300) {
  console.error('usage: bench/faults.ts [quick | outage seconds, 1–300]');
  process.exit(2);
}

interface VitestJson {
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string; duration?: number; failureMessages: string[] }> }>;
}

const out = mkdtempSync(join(tmpdir(), 'access-bench-faults-'));
const report = join(out, 'report.json');
console.log(`[faults] PostgreSQL outage of ${seconds} s; running ${FILES.join(', ')}`);
const started = Date.now();
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', ...FILES, '--no-file-parallelism', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: REPO,
    stdio: 'inherit',
    env: { ...process.env, ACCESS_FAULT_OUTAGE_SECONDS: String(seconds) },
  });
  const stop = () => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  child.on('close', (status) => resolve(status ?? 1));
});

try {
  const results = JSON.parse(readFileSync(report, 'utf8')) as VitestJson;
  const rows = results.testResults.flatMap((file) =>
    file.assertionResults.map((t) => [file.name.replace(`${REPO}/`, ''), t.fullName, t.status, t.duration === undefined ? '' : `${(t.duration / 1000).toFixed(1)} s`]),
  );
  console.log(`\nFaults, PostgreSQL away for ${seconds} s (whole run ${((Date.now() - started) / 1000).toFixed(0)} s):\n`);
  console.log(markdownTable(['file', 'test', 'result', 'time'], rows));
} catch (error) {
  console.error(`[faults] no report from vitest: ${(error as Error).message}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(code);
