import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatCertificate, formatPublicKey, generateCaKey, parsePublicKey, signCertificate, type CaSigner } from '@access/sshcert';
import type { LoginResult, MyHost } from '../api-types.ts';
import { fakeAdminRoutes, type AdminState } from './fake-ca-admin.ts';

/**
 * A small node:http stand-in for the CA's HTTP contract (services/ca/API-CONTRACT.md), so the
 * CLI's tests run without a database or an IdP, and before every real endpoint exists. It
 * signs real certificates with a throwaway user CA. The end-to-end suite (test/e2e) runs the
 * CLI against the real CA.
 */
export interface FakeLogin {
  id: string;
  mode: 'browser' | 'headless';
  publicKey: string;
  secretHash: string;
  callbackPort: number | null;
  code: string | null;
  approved: boolean;
  polls: number;
}

export interface FakeCa {
  url: string;
  userCa: CaSigner;
  logins: Map<string, FakeLogin>;
  /** Bearer tokens the fake accepts, with their capabilities. */
  tokens: Map<string, { capabilities: string[]; email: string | null }>;
  requests: string[];
  /** Knobs the tests turn. */
  settings: {
    principals: string[];
    roles: string[];
    capabilities: string[];
    ttlSeconds: number;
    hosts: MyHost[];
    /** Browser mode: send the browser back with this error instead of a code. */
    refuse: { error: string; message: string } | null;
    /** Headless: polls answered 202 before the approval shows. */
    pendingPolls: number;
    /** Headless: polls answered 429 ERR_SLOW_DOWN first. */
    slowDowns: number;
    /** Headless: every poll answered with this error. */
    pollError: { status: number; code: string; message: string } | null;
  };
  admin: AdminState;
  close(): Promise<void>;
}

export type Reply = (status: number, body?: unknown, headers?: Record<string, string>) => void;
export const errorBody = (code: string, message: string) => ({ error: { code, message } });
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startFakeCa(): Promise<FakeCa> {
  const userCa = generateCaKey('user-ca').signer;
  const hostCa = generateCaKey('host-ca').signer;
  const ca = { userCa, logins: new Map(), tokens: new Map(), requests: [] } as unknown as FakeCa;
  ca.settings = { principals: ['alice'], roles: ['engineer'], capabilities: [], ttlSeconds: 8 * 3600, hosts: [], refuse: null, pendingPolls: 0, slowDowns: 0, pollError: null };
  ca.admin = { roles: new Map(), grants: new Map(), hosts: new Map() };

  const result = (login: FakeLogin): LoginResult => {
    const now = Math.floor(Date.now() / 1000);
    const { principals, roles, capabilities, ttlSeconds } = ca.settings;
    const apiToken = `acu_${randomBytes(16).toString('hex')}`;
    ca.tokens.set(apiToken, { capabilities, email: 'alice@example.com' });
    const cert = principals.length
      ? signCertificate({ type: 'user', publicKey: parsePublicKey(login.publicKey), serial: 7n, keyId: 'alice@example.com', principals, validAfter: BigInt(now - 60), validBefore: BigInt(now + ttlSeconds), criticalOptions: {}, extensions: ['permit-pty'] }, userCa)
      : null;
    return {
      certificate: cert ? formatCertificate(cert) : null,
      serial: cert ? '7' : null,
      principals,
      validAfter: new Date((now - 60) * 1000).toISOString(),
      validBefore: new Date((now + ttlSeconds) * 1000).toISOString(),
      user: { id: 'usr_1', email: 'alice@example.com', displayName: 'Alice Example', groups: ['eng'] },
      roles,
      capabilities,
      permissions: { pty: true },
      apiToken,
      knownHosts: `@cert-authority * ${formatPublicKey(hostCa.publicKey, 'access host CA')}\n`,
      gateway: { host: 'gw.example.test', port: 2022 },
    };
  };

  async function route(req: IncomingMessage, reply: Reply): Promise<void> {
    const url = new URL(req.url ?? '/', ca.url);
    const path = url.pathname;
    ca.requests.push(`${req.method} ${path}`);
    const m = /^\/v1\/login\/([^/]+)\/(browser|redeem|poll)$/.exec(path);
    const login = m ? (ca.logins.get(m[1]!) as FakeLogin | undefined) : undefined;
    if (req.method === 'POST' && path === '/v1/login/start') {
      const b = await readJson(req);
      const id = `lgn_${randomBytes(8).toString('hex')}`;
      ca.logins.set(id, { id, mode: b['mode'] as FakeLogin['mode'], publicKey: String(b['publicKey']), secretHash: String(b['secretHash']), callbackPort: (b['callbackPort'] as number) ?? null, code: null, approved: false, polls: 0 });
      const expiresAt = new Date(Date.now() + 600_000).toISOString();
      if (b['mode'] === 'browser') return reply(201, { loginId: id, expiresAt, browserUrl: `${ca.url}/v1/login/${id}/browser` });
      return reply(201, { loginId: id, expiresAt, userCode: 'BCDF-GHJK', verificationUrl: `${ca.url}/device?code=BCDF-GHJK`, interval: 1 });
    }
    if (m && !login) return reply(404, errorBody('ERR_LOGIN_NOT_FOUND', 'no such login; start again with "access login"'));
    if (login && m![2] === 'browser') {
      // The real CA sends the browser to the IdP first; the fake skips straight to the end.
      const back = new URL(`http://127.0.0.1:${login.callbackPort}/callback`);
      back.searchParams.set('login', login.id);
      if (ca.settings.refuse) {
        back.searchParams.set('error', ca.settings.refuse.error);
        back.searchParams.set('message', ca.settings.refuse.message);
      } else back.searchParams.set('code', (login.code = randomBytes(8).toString('hex')));
      return reply(302, undefined, { location: back.toString() });
    }
    if (login) {
      const b = await readJson(req);
      if (sha256(String(b['secret'])) !== login.secretHash) return reply(403, errorBody('ERR_LOGIN_SECRET', 'this login belongs to another access CLI (its secret does not match)'));
      if (m![2] === 'redeem') {
        if (!login.code || b['code'] !== login.code) return reply(400, errorBody('ERR_LOGIN_CODE', 'the login code is wrong; run "access login" again'));
        login.code = null;
        return reply(200, result(login));
      }
      login.polls++;
      const failing = ca.settings.pollError;
      if (failing) return reply(failing.status, errorBody(failing.code, failing.message));
      if (ca.settings.slowDowns > 0 && ca.settings.slowDowns--) return reply(429, errorBody('ERR_SLOW_DOWN', 'polling too fast'));
      if (!login.approved && login.polls <= ca.settings.pendingPolls) return reply(202, { status: 'pending' });
      return reply(200, result(login));
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const caller = bearer ? ca.tokens.get(bearer) : undefined;
    if (!caller) return reply(401, errorBody('ERR_UNAUTHENTICATED', 'a valid bearer token is required'));
    if (req.method === 'GET' && path === '/v1/me/hosts') return reply(200, ca.settings.hosts);
    if (req.method === 'POST' && path === '/v1/logout') {
      ca.tokens.delete(bearer!);
      return reply(204);
    }
    return fakeAdminRoutes(ca.admin, { method: req.method ?? 'GET', url, capabilities: caller.capabilities, body: () => readJson(req) }, reply);
  }

  const server = createServer((req, res: ServerResponse) => {
    const reply: Reply = (status, body, headers = {}) => {
      res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    route(req, reply).catch((error: unknown) => reply(500, errorBody('ERR_INTERNAL', String(error))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ca.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ca.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return ca;
}
