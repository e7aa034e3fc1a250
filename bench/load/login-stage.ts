/**
 * Stage 1: many `access login` flows at the same moment against `access-server start --dev`
 * (its dev IdP inside), each emulated as bench/login.ts does: the CLI's key, secret and
 * files, a loopback listener, the plain-HTTP browser signing in at the IdP.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaServer } from '../lib/ca-server-process.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { getFreePort } from '../lib/free-port.ts';
import { ms, summarize } from '../lib/stats.ts';
import { emulatedLogin, type LoginTarget, type LoginTiming } from '../login/emulated-login.ts';
import { withResourceUse } from './resource-sampler.ts';
import { ErrorTally, type StageRow } from './stage-table.ts';

const USER = 'bob@example.com';
const WARMUP_LOGINS = 5;

/** Runs `count` logins at once and waits for all of them. */
async function loginsAtOnce(target: LoginTarget, first: number, count: number, errors: ErrorTally): Promise<LoginTiming[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => emulatedLogin(target, first + i)));
  const done: LoginTiming[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') done.push(r.value);
    else errors.add(r.reason);
  }
  return done;
}

export interface LoginStageOptions {
  logins: number;
  /** Where the CA keeps its data: a PostgreSQL URL, or undefined for the embedded PGlite database `--dev` uses by default. */
  databaseUrl: string | undefined;
  nodeFlags: string[] | undefined;
  /** Registered for cleanup after the server, so Ctrl-C stops new work before it stops the server. */
  stopStartingWork: () => void;
}

export async function loginStage(options: LoginStageOptions, cleanup: Cleanup, progress: (line: string) => void): Promise<StageRow[]> {
  const { logins } = options;
  const root = await mkdtemp(join(tmpdir(), 'access-bench-load-login-'));
  const removeRoot = cleanup.defer(`remove ${root}`, () => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'homes'), { mode: 0o700 });
  const [httpPort, idpPort] = [await getFreePort(), await getFreePort()];
  if (httpPort === idpPort) throw new Error('got the same free port twice; run again');
  const password = randomBytes(18).toString('base64url');

  const dbName = options.databaseUrl ? 'PostgreSQL' : 'PGlite';
  progress(`stage 1: starting access-server start --dev on 127.0.0.1:${httpPort} (dev IdP on 127.0.0.1:${idpPort}, ${dbName})`);
  const server = await startCaServer({
    dataDir: join(root, 'ca'),
    databaseUrl: options.databaseUrl,
    nodeFlags: options.nodeFlags,
    startTimeoutMs: 60_000,
    httpAddr: `127.0.0.1:${httpPort}`,
    startArgs: ['--dev', '--dev-idp-addr', `127.0.0.1:${idpPort}`],
    env: { ACCESS_DEV_PASSWORD: password },
  });
  const stopServer = cleanup.defer('stop access-server --dev', () => server.stop());
  cleanup.defer('stop starting logins', options.stopStartingWork);
  try {
    const target: LoginTarget = { caUrl: server.url, user: USER, password, homesDir: join(root, 'homes') };
    const warmupErrors = new ErrorTally();
    await loginsAtOnce(target, 0, WARMUP_LOGINS, warmupErrors);
    if (warmupErrors.total > 0) throw new Error(`warm-up login failed: ${warmupErrors.summary()}`);

    progress(`stage 1: ${logins} access login flows at once (${dbName})`);
    const errors = new ErrorTally();
    const started = performance.now();
    const { result: done, use } = await withResourceUse(server.pid, () => loginsAtOnce(target, WARMUP_LOGINS, logins, errors));
    const seconds = (performance.now() - started) / 1000;
    const timed = summarize(done.map((d) => d.timedMs));
    const whole = summarize(done.map((d) => d.totalMs));
    const phase = (key: keyof LoginTiming['phases']) => ms(summarize(done.map((d) => d.phases[key])).p50);
    progress(`  ${done.length} logins in ${seconds.toFixed(1)} s, ${errors.total} errors; whole login p99 ${ms(whole.p99)} ms`);

    const result = errors.total === 0 && done.length === logins ? 'pass' : 'fail';
    const errorNote = errors.total > 0 ? [`errors: ${errors.summary()}`] : [];
    return [
      {
        step: `${dbName}: whole login (start → IdP sign-in → callback → redeem → files)`,
        load: `${logins} at once`,
        ok: done.length,
        errors: errors.total,
        ...pick(whole),
        use,
        target: 'no errors',
        result,
        notes: [`all ${logins} done in ${seconds.toFixed(1)} s`, ...errorNote],
      },
      {
        step: `${dbName}: timed part (IdP redirect → CLI has its files)`,
        load: `${logins} at once`,
        ok: done.length,
        errors: errors.total,
        ...pick(timed),
        use,
        target: '',
        result: '',
        notes: [`medians: callback ${phase('callbackMs')} + to loopback ${phase('loopbackMs')} + redeem ${phase('redeemMs')} + files ${phase('saveMs')} ms`],
      },
    ];
  } finally {
    await stopServer();
    await removeRoot();
  }
}

const pick = (s: { p50: number; p99: number; max: number }) => ({ p50: s.p50, p99: s.p99, max: s.max });
