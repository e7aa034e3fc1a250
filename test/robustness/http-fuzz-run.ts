import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { registeredRoutes } from '../../services/ca/src/http/routes/route-test-kit.ts';
import { changedTables, shortHash, tableDigester, type FuzzCa } from './http-fuzz-fixture.ts';
import { brokenJson, chance, int, mutate, pathParam, pick, pollutedJson, randomForm, randomObject, randomQuery, randomValue, wildcardTail, type Random } from './http-fuzz-inputs.ts';
import { seededRandom } from './preauth-fuzz-cases.ts';

/**
 * Sends hostile requests to every route of the CA's route table, without credentials and with
 * those the route needs, and checks each answer: never a 5xx; without credentials, never
 * served unless the route is public; and a refused request changes no table (the audit log
 * aside, whose chain the caller verifies).
 */

export interface FuzzRoute {
  method: string;
  /** As registered: `/v1/roles/:name`, `/ui*`. */
  pattern: string;
}

/** The routes anyone may call. A new route is not public until it is added here. */
const PUBLIC = new Set([
  '/', '/healthz', '/readyz', '/metrics', '/v1/ca', '/v1/krl', '/enroll.sh', '/favicon.ico', '/device', '/device/approve',
  '/v1/login/start', '/v1/login/callback', '/v1/login/:id/redeem', '/v1/login/:id/poll', '/v1/login/:id/browser',
  '/v1/enroll', '/v1/enroll/renew', '/ui/signin', '/ui/signin/start', '/ui*',
]);
export const isPublic = (route: FuzzRoute): boolean => PUBLIC.has(route.pattern);

/** Every method and path of the app's route table, HEAD included. */
export function fuzzRoutes(fuzz: FuzzCa): FuzzRoute[] {
  return registeredRoutes(fuzz.ca.app.printRoutes({ commonPrefix: false })).map((line) => {
    const [method, pattern] = line.split(' ') as [string, string];
    return { method, pattern };
  });
}

type Credential = 'none' | 'admin-token' | 'person-token' | 'gateway-token' | 'web';

/** The credential a route needs: the gateway's token, a browser session, a person, or an admin token. */
function credentialFor(rand: Random, pattern: string): Credential {
  if (pattern.startsWith('/v1/gateway/')) return 'gateway-token';
  if (pattern.startsWith('/ui')) return 'web';
  if (pattern.startsWith('/v1/me') || pattern === '/v1/logout') return 'person-token';
  return chance(rand, 0.5) ? 'admin-token' : 'person-token';
}

/** Plausible bodies: mutated one field at a time, they reach the checks behind the shape checks. */
function templates(fuzz: FuzzCa): Record<string, Record<string, unknown>> {
  const { publicKey, joinToken } = fuzz;
  const role = { name: 'fuzz-role', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h', description: 'd' };
  const roleForm = { name: 'fuzz-role', logins: 'deploy, ops', hostLabels: 'env=dev|prod', maxTtl: '1h', description: 'd', cap_admin: 'on' };
  const certificate = 'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t';
  return {
    'POST /v1/certs/user': { publicKey, principals: ['deploy'], ttl: '1h', keyId: 'fuzz', criticalOptions: { sourceAddress: '10.0.0.0/8' }, extensions: ['permit-pty'] },
    'POST /v1/certs/host': { publicKey, principals: ['web-1'], ttl: '1h', keyId: 'fuzz' },
    'POST /v1/revocations': { serial: '1', reason: 'fuzz' },
    'POST /v1/roles': role,
    'POST /v1/roles/preview': role,
    'PATCH /v1/roles/:name': { description: 'changed', maxTtl: '2h' },
    'POST /v1/grants': { user: 'eng@example.com', role: 'dev', reason: 'fuzz', expires: '8h' },
    'POST /v1/hosts': { name: 'fuzz-host', address: '10.0.0.9:22', labels: { env: 'dev' } },
    'PATCH /v1/hosts/:name': { address: '10.0.0.8:22', labels: { env: 'prod' } },
    'POST /v1/hosts/tokens': { labels: { env: 'dev' }, ttl: '1h', name: 'fuzz-enrolled' },
    'POST /v1/users/:id/lock': { reason: 'fuzz' },
    'POST /v1/users/:id/unlock': { reason: 'fuzz' },
    'POST /v1/sessions/:id/terminate': { reason: 'fuzz' },
    'POST /v1/login/start': { publicKey, mode: 'headless', secretHash: 'A'.repeat(43) },
    'POST /v1/login/:id/redeem': { secret: 'A'.repeat(43) },
    'POST /v1/login/:id/poll': { secret: 'A'.repeat(43) },
    'POST /v1/enroll': { token: joinToken, name: 'fuzz-enrolled', addresses: ['10.0.0.7'], hostKeys: [publicKey], dryRun: true },
    'POST /v1/enroll/renew': { message: 'renew fuzz', signature: 'AAAA' },
    'POST /v1/gateway/identify': { certificate },
    'POST /v1/gateway/hosts/lookup': { destination: 'web-1' },
    'POST /v1/gateway/host-certificate': { names: ['gw.example'], publicKey },
    'POST /v1/gateway/authorize': { certificate, login: 'deploy', destination: 'web-1', connectionId: 'c1', upstreamPublicKey: publicKey, sourceAddress: '10.0.0.1', clientAddress: null },
    'POST /device/approve': { code: 'ABCD-EFGH', csrf: 'x' },
    'POST /ui/roles': roleForm,
    'POST /ui/roles/preview': roleForm,
    'POST /ui/roles/:name': roleForm,
    'POST /ui/hosts': { name: 'fuzz-host', address: '10.0.0.9:22', labels: 'env=dev' },
    'POST /ui/hosts/:name': { address: '10.0.0.8:22', labels: 'env=dev' },
    'POST /ui/hosts/tokens': { labels: 'env=dev', ttl: '1h', name: 'fuzz-enrolled' },
    'POST /ui/grants': { kind: 'user', subject: 'eng@example.com', role: 'dev', reason: 'fuzz', expires: '8h' },
    'POST /ui/grants/:id/revoke': { reason: 'fuzz' },
    'POST /ui/users/:id/lock': { reason: 'fuzz' },
    'POST /ui/sessions/:id/terminate': { reason: 'fuzz' },
  };
}

const WRONG_TYPES = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', 'APPLICATION/JSON', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/merge-patch+json', ';;;'];

export interface FuzzRequest {
  options: InjectOptions;
  credential: Credential;
  /** What was sent, short enough for a failure message. */
  summary: string;
}

/** One hostile request to `route`, as the holder of `credential`. */
export function fuzzRequest(rand: Random, fuzz: FuzzCa, route: FuzzRoute, authenticated: boolean, bodies: Record<string, Record<string, unknown>>): FuzzRequest {
  const credential = authenticated ? credentialFor(rand, route.pattern) : 'none';
  const c = fuzz.credentials;
  let path = route.pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => pathParam(rand, fuzz.known[name] ?? []));
  if (path.endsWith('*')) path = path.slice(0, -1) + wildcardTail(rand);
  const url = chance(rand, 0.5) ? `${path}?${randomQuery(rand)}` : path;
  const headers: Record<string, string> = {};
  if (credential === 'admin-token') headers['authorization'] = `Bearer ${c.adminToken}`;
  if (credential === 'person-token') headers['authorization'] = `Bearer ${c.personToken}`;
  if (credential === 'gateway-token') headers['authorization'] = `Bearer ${c.gatewayToken}`;
  if (credential === 'web') headers['cookie'] = c.webCookie;
  if (!authenticated && chance(rand, 0.2)) headers['authorization'] = pick(rand, ['Bearer ', 'Bearer acc_xxx', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'a'.repeat(5000)}`, 'bearer acc_', 'Bearer acw_x y']);
  if (!authenticated && chance(rand, 0.2)) headers['cookie'] = pick(rand, ['access_ui=acw_forged', 'access_ui=', `access_ui=${'%'.repeat(300)}`, 'access_login_csrf=x; access_ui=y']);
  if (route.pattern.startsWith('/ui') && chance(rand, 0.1)) headers['origin'] = pick(rand, ['https://evil.example', 'null', 'http://localhost:1']);

  const withBody = route.method !== 'GET' && route.method !== 'HEAD' ? true : chance(rand, 0.1);
  const key = `${route.method} ${route.pattern}`;
  const template: Record<string, unknown> = { ...(bodies[key] ?? randomObject(rand)) };
  // A browser's form carries its token; without it every form stops at the CSRF check.
  if (credential === 'web' && chance(rand, 0.85)) template['_csrf'] = c.csrf;
  let kind = 'none';
  let payload: string | Buffer | undefined;
  if (withBody) {
    const roll = int(rand, 100);
    let body = template;
    for (let i = int(rand, 3); i >= 0; i--) body = mutate(rand, body);
    if (roll < 35) [kind, payload, headers['content-type']] = ['json', JSON.stringify(body), 'application/json'];
    else if (roll < 45) [kind, payload, headers['content-type']] = ['json-value', JSON.stringify(randomValue(rand)) ?? 'null', 'application/json'];
    else if (roll < 52) [kind, payload, headers['content-type']] = ['json-polluted', pollutedJson(rand, body), 'application/json'];
    else if (roll < 65) [kind, payload, headers['content-type']] = ['json-broken', brokenJson(rand, body), 'application/json'];
    else if (roll < 82) [kind, payload, headers['content-type']] = ['form', randomForm(rand, template, credential === 'web' && chance(rand, 0.5) ? { _csrf: c.csrf } : {}), 'application/x-www-form-urlencoded'];
    else if (roll < 92) [kind, payload, headers['content-type']] = ['wrong-type', chance(rand, 0.5) ? JSON.stringify(body) : '<a>b</a>', pick(rand, WRONG_TYPES)];
    else if (roll < 97) {
      const size = 30_000 + int(rand, 150_000);
      kind = 'oversized';
      if (chance(rand, 0.5)) [payload, headers['content-type']] = [JSON.stringify({ ...body, name: 'x'.repeat(size) }), 'application/json'];
      else [payload, headers['content-type']] = [`_csrf=${c.csrf}&name=${'x'.repeat(size)}`, 'application/x-www-form-urlencoded'];
    } else [kind, payload] = ['no-content-type', JSON.stringify(body)];
  }
  const options: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
  if (payload !== undefined) options.payload = payload;
  const preview = payload === undefined ? '' : ` body(${kind}, ${payload.length} bytes, sha ${shortHash(payload)}): ${payload.toString().slice(0, 160)}`;
  return { options, credential, summary: `${route.method} ${url.slice(0, 200)}${url.length > 200 ? '…' : ''} as ${credential}${headers['content-type'] ? ` [${headers['content-type']}]` : ''}${preview}` };
}

/** A page's "sign in first": 303 to the sign-in page with the way back. */
const signInFirst = (response: LightMyRequestResponse) => response.statusCode === 303 && String(response.headers.location).startsWith('/ui/signin?return=');

/** Accepted: a 2xx, or a redirect other than "sign in first". */
const accepted = (response: LightMyRequestResponse): boolean => response.statusCode < 400 && !signInFirst(response);

/** fastify, or the NUL guard every route shares, refused the input before the route's own code ran. */
const BOUNDARY_REFUSAL = /\b(FST_ERR_[A-Z_]+|ERR_NUL_CHARACTER)\b/;

/**
 * Without credentials a protected route answers 401, 403 or 404, or for a page, 303 to sign in;
 * or the request was refused at the boundary before any route code ran (a path that does not
 * decode or is too long, a body that does not parse or is too large, a NUL character): UI pages
 * check the session after the form is read.
 */
async function refusedAsUnauthenticated(fuzz: FuzzCa, route: FuzzRoute, request: FuzzRequest, response: LightMyRequestResponse): Promise<boolean> {
  if ([401, 403, 404].includes(response.statusCode)) return true;
  if ([400, 413, 414, 415].includes(response.statusCode)) {
    // A HEAD answer has no body to name the error: the same request as a GET does.
    const body = route.method === 'HEAD' ? (await fuzz.ca.app.inject({ ...request.options, method: 'GET' })).body : response.body;
    if (BOUNDARY_REFUSAL.test(body)) return true;
  }
  return route.pattern.startsWith('/ui') && signInFirst(response);
}

export interface FuzzStats {
  routes: number;
  requests: number;
  statuses: Record<string, number>;
  accepted: number;
  /** Failures by kind, all counted; `failures` describes the first few. */
  failed: { serverError: number; servedUnauthenticated: number; changedWhenRefused: number };
  failures: string[];
}

export interface FuzzOptions {
  seed: number;
  /** Requests per route, half without credentials and half with. */
  perRoute: number;
  /** Stop collecting after this many failures (each names its request). */
  maxFailures?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function runHttpFuzz(fuzz: FuzzCa, options: FuzzOptions): Promise<FuzzStats> {
  const rand = seededRandom(options.seed);
  const routes = fuzzRoutes(fuzz);
  const bodies = templates(fuzz);
  const db = fuzz.ca.services.database.db;
  const stats: FuzzStats = { routes: routes.length, requests: 0, statuses: {}, accepted: 0, failed: { serverError: 0, servedUnauthenticated: 0, changedWhenRefused: 0 }, failures: [] };
  const maxFailures = options.maxFailures ?? 20;
  const fail = (n: number, request: FuzzRequest, kind: keyof FuzzStats['failed'], what: string) => {
    stats.failed[kind]++;
    if (stats.failures.length < maxFailures) stats.failures.push(`#${n} ${what}: ${request.summary}`);
  };
  // Interleaved, so a route's requests meet the state every other route's requests left.
  const plan = Array.from({ length: options.perRoute }, (_, round) => routes.map((route) => ({ route, authenticated: round % 2 === 1 }))).flat();
  const tableDigests = await tableDigester(db);
  let digest = await tableDigests();
  for (const [n, { route, authenticated }] of plan.entries()) {
    const request = fuzzRequest(rand, fuzz, route, authenticated, bodies);
    const response = await fuzz.ca.app.inject(request.options);
    stats.requests++;
    const status = String(response.statusCode);
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (response.statusCode >= 500) fail(n, request, 'serverError', `answered ${status} ${response.body.slice(0, 200)}`);
    if (!authenticated && !isPublic(route) && !(await refusedAsUnauthenticated(fuzz, route, request, response))) fail(n, request, 'servedUnauthenticated', `served without credentials: ${status}`);
    const after = await tableDigests();
    if (accepted(response)) {
      stats.accepted++;
      if (route.method !== 'GET' && route.method !== 'HEAD') await fuzz.repair();
      digest = await tableDigests();
    } else {
      const changed = changedTables(digest, after);
      if (changed.length > 0) fail(n, request, 'changedWhenRefused', `refused with ${status} but changed ${changed.join(', ')}`);
      digest = after;
    }
    options.onProgress?.(n + 1, plan.length);
  }
  return stats;
}
