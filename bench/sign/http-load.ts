import { startCaServer } from '../lib/ca-server-process.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { getter, jsonPoster } from '../lib/http-client.ts';
import { runOpenLoop, type OpenLoopResult } from '../lib/open-loop.ts';
import { sampleWaits, type WaitSummary } from '../lib/pg-wait-sampler.ts';
import { withCpuShare, type CpuShares } from '../lib/process-cpu.ts';
import { readServerHistogram, serverTimeBetween } from '../lib/server-metrics.ts';

const ROUTE = '/v1/certs/user';
/** No database, no signing, no authentication: what any request costs at a rate on this machine. */
const FLOOR_ROUTE = '/healthz';

export interface HttpLoadPlan {
  steady: { rate: number; durationMs: number };
  steps: { rates: number[]; durationMs: number };
  warmup: { rate: number; durationMs: number };
  timeoutMs: number;
  /** Stop stepping up once p99 exceeds this (the server is saturated; higher steps only queue). */
  giveUpP99Ms: number;
  /** The latency the server reports its share of requests within. */
  targetP99Ms: number;
  /** At most this long waiting for a saturated server to work off its backlog before the steady run. */
  drainMs: number;
}

export interface StageResult extends OpenLoopResult {
  /** Who kept the CPUs busy during the stage: the server, the generator, the machine. */
  cpu: CpuShares;
  /** The server's own measure of the same requests (its request-duration histogram). */
  server: { meanMs: number; shareWithin: number };
}

export interface HttpLoadResult {
  steady: StageResult;
  /** `GET /healthz` at the steady rate and duration, right after the steady run: the floor under any route's latency here. */
  floor: StageResult;
  steps: StageResult[];
  /** Rates not run because an earlier step was already saturated. */
  skippedRates: number[];
  /** For PostgreSQL: what the CA's backends were doing during the steady run. */
  waits?: WaitSummary;
}

export interface HttpBackend {
  dataDir: string;
  adminToken: string;
  /** The PostgreSQL database, or undefined for the embedded PGlite database in dataDir. */
  postgres?: { url: string; name: string } | undefined;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeFlags?: string[] | undefined;
}

/**
 * Starts the real server as a child process on `backend`, checks one signing request,
 * then loads `POST /v1/certs/user` open-loop: a warm-up, the steady run, then the steps.
 */
export async function benchHttp(
  backend: HttpBackend,
  publicKey: string,
  plan: HttpLoadPlan,
  cleanup: Cleanup,
  progress: (line: string) => void,
): Promise<HttpLoadResult> {
  const server = await startCaServer({ dataDir: backend.dataDir, databaseUrl: backend.postgres?.url, startTimeoutMs: 60_000, nodeFlags: backend.nodeFlags });
  const stopServer = cleanup.defer('stop access-server', () => server.stop());
  const poster = jsonPoster(
    `${server.url}${ROUTE}`,
    { authorization: `Bearer ${backend.adminToken}` },
    { publicKey, principals: ['bench'], ttl: '10m' },
    201,
  );
  const closePoster = cleanup.defer('close HTTP client', () => poster.close());

  const probe = await poster.probe();
  const certificate = (probe.body as { certificate?: unknown } | null)?.certificate;
  if (probe.status !== 201 || typeof certificate !== 'string' || !certificate.startsWith('ssh-ed25519-cert-v01@openssh.com ')) {
    throw new Error(`POST /v1/certs/user answered ${probe.status}: ${JSON.stringify(probe.body).slice(0, 300)}`);
  }

  progress(`server ${server.url} (pid ${server.pid}) is up`);
  const healthz = getter(`${server.url}${FLOOR_ROUTE}`, 200);
  const closeHealthz = cleanup.defer('close HTTP client', () => healthz.close());
  const stage = async (rate: number, durationMs: number, floor = false): Promise<StageResult> => {
    const route = floor ? FLOOR_ROUTE : ROUTE;
    const send = floor ? (timeoutMs: number) => healthz.get(timeoutMs) : (timeoutMs: number) => poster.post(timeoutMs);
    const before = await readServerHistogram(server.url, route);
    const { result, cpu } = await withCpuShare(server.pid, () => runOpenLoop({ rate, durationMs, timeoutMs: plan.timeoutMs, send }));
    const inServer = serverTimeBetween(before, await readServerHistogram(server.url, route), plan.targetP99Ms);
    progress(`${floor ? `${FLOOR_ROUTE} ` : ''}${rate} req/s × ${durationMs / 1000} s: p99 ${result.p99.toFixed(2)} ms, ${result.errors} errors, server CPU ${Math.round(cpu.process)} %`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { ...result, cpu, server: inServer };
  };

  await stage(plan.warmup.rate, plan.warmup.durationMs);

  // Step up first, lowest rate first, and stop once the server is saturated: an overloaded
  // server keeps working through requests the client has given up on, so every later
  // stage would measure that backlog instead of its own rate.
  const steps: StageResult[] = [];
  const skippedRates: number[] = [];
  for (const rate of plan.steps.rates) {
    const previous = steps.at(-1);
    if (previous && (previous.p99 > plan.giveUpP99Ms || previous.errors > 0)) skippedRates.push(rate);
    else steps.push(await stage(rate, plan.steps.durationMs));
  }

  await drain(server.url, plan.drainMs, progress);
  const sampler = backend.postgres ? await sampleWaits(backend.postgres.url, backend.postgres.name) : undefined;
  const steady = await stage(plan.steady.rate, plan.steady.durationMs);
  const waits = await sampler?.stop();
  const floor = await stage(plan.steady.rate, plan.steady.durationMs, true);

  await closeHealthz();
  await closePoster();
  await stopServer();
  return { steady, floor, steps, skippedRates, ...(waits ? { waits } : {}) };
}

/** Waits until a database round trip (`/readyz`) is quick again, i.e. the backlog is gone. */
async function drain(url: string, budgetMs: number, progress: (line: string) => void): Promise<void> {
  const deadline = performance.now() + budgetMs;
  const waited = performance.now();
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - t0))) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok && performance.now() - t0 < 20) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  progress(`the server was still busy after ${Math.round(performance.now() - waited)} ms; the steady run starts anyway`);
}
