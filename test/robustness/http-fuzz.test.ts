import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFuzzCa, type FuzzCa } from './http-fuzz-fixture.ts';
import { fuzzRoutes, isPublic, runHttpFuzz } from './http-fuzz-run.ts';

/** Requests per route (half without credentials): every route meets each kind of input a few times, well under a minute on 2 cores. */
const PER_ROUTE = Number(process.env['ACCESS_FUZZ_PER_ROUTE'] ?? 12);
const SEED = Number(process.env['ACCESS_FUZZ_SEED'] ?? Date.now() % 2 ** 31);

describe('every HTTP route of the CA under hostile input', () => {
  let fuzz: FuzzCa;
  beforeAll(async () => {
    fuzz = await startFuzzCa();
  });
  afterAll(async () => {
    await fuzz?.close();
  });

  it('takes its routes from the route table: the API, the login pages and the web UI', () => {
    const routes = fuzzRoutes(fuzz).map((r) => `${r.method} ${r.pattern}`);
    expect(routes.length).toBeGreaterThan(100);
    for (const route of ['POST /v1/certs/user', 'PATCH /v1/roles/:name', 'POST /v1/gateway/authorize', 'POST /ui/grants', 'GET /ui/sessions/:id/cast', 'POST /v1/enroll']) {
      expect(routes).toContain(route);
    }
    // Public routes are an explicit list: a route added later needs credentials until it is put there.
    expect(fuzzRoutes(fuzz).filter((r) => !isPublic(r)).length).toBeGreaterThan(80);
  });

  it('answers every request with less than 500, serves no protected route without credentials and changes nothing it refuses', { timeout: 90_000 }, async () => {
    console.log(`http fuzz: seed ${SEED} (ACCESS_FUZZ_SEED=${SEED} repeats it), ${PER_ROUTE} requests per route`);
    const started = performance.now();
    const stats = await runHttpFuzz(fuzz, { seed: SEED, perRoute: PER_ROUTE });
    console.log(
      `http fuzz: ${stats.routes} routes, ${stats.requests} requests in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `accepted ${stats.accepted}; statuses ${JSON.stringify(stats.statuses)}`,
    );
    expect(stats.failures).toEqual([]);
    expect(stats.requests).toBe(stats.routes * PER_ROUTE);
    // The refusals were audited without breaking the hash chain.
    expect(await fuzz.ca.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('still serves a real request afterwards', async () => {
    const response = await fuzz.ca.app.inject({ method: 'GET', url: '/v1/roles/dev', headers: { authorization: `Bearer ${fuzz.credentials.adminToken}` } });
    expect(response.statusCode).toBe(200);
  });
});
