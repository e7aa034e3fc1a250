// Hostile input to every HTTP route of the CA at scale: `npx tsx bench/fuzz-http.ts [requests per route|quick] [seed]`
// (default 200 per route; quick: 20). The CA runs in this process on the embedded database;
// routes come from its route table, requests from test/robustness/http-fuzz-inputs.ts, half
// without credentials and half with those the route needs. Exits non-zero on any 5xx, any
// protected route served without credentials, any refused request that changed a table, or
// a broken audit chain.
import { startFuzzCa } from '../test/robustness/http-fuzz-fixture.ts';
import { runHttpFuzz } from '../test/robustness/http-fuzz-run.ts';

const arg = process.argv[2];
const perRoute = arg === 'quick' ? 20 : Number(arg ?? 200);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(perRoute) || perRoute <= 0 || !Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx bench/fuzz-http.ts [requests per route|quick] [seed]');
  process.exit(2);
}

const fuzz = await startFuzzCa();
let failed = true;
try {
  const started = performance.now();
  let lastReport = started;
  const stats = await runHttpFuzz(fuzz, {
    seed,
    perRoute,
    maxFailures: 50,
    onProgress: (done, total) => {
      if (performance.now() - lastReport < 10_000) return;
      lastReport = performance.now();
      console.log(`fuzz-http: ${done} of ${total} requests`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const chain = await fuzz.ca.services.audit.verify();
  console.table({
    seed,
    routes: stats.routes,
    requests: stats.requests,
    seconds: Number(seconds.toFixed(1)),
    'requests/s': Math.round(stats.requests / seconds),
    'accepted (2xx, redirects but "sign in")': stats.accepted,
    '5xx (must be 0)': stats.failed.serverError,
    'protected route served without credentials (must be 0)': stats.failed.servedUnauthenticated,
    'refused but changed a table (must be 0)': stats.failed.changedWhenRefused,
    'audit events checked': Number(chain.checked),
    'audit chain': chain.ok ? 'verifies' : `BROKEN: ${chain.problem?.message}`,
  });
  console.table(Object.fromEntries(Object.entries(stats.statuses).sort(([a], [b]) => Number(a) - Number(b)).map(([status, count]) => [status, { count }])));
  for (const failure of stats.failures) console.error(`fuzz-http: ${failure.slice(0, 600)}`);
  failed = stats.failures.length > 0 || !chain.ok;
} finally {
  await fuzz.close();
}
process.exit(failed ? 1 : 0);
