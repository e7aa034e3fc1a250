import { randomBytes } from 'node:crypto';
import type { DatabaseKind } from '@access/db';
import { startDevIdp, type DevIdp } from '../../dev-idp/dev-idp.ts';
import { browserLogin } from '../../dev-idp/testing/browser-login.ts';
import { requireCaller } from '../../http/caller.ts';
import { createRelyingParty } from '../../oidc/relying-party.ts';
import { sshKeygen, type TestKey } from '../../testing/ssh-keys.ts';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { hashSecret } from '../login-secrets.ts';

export const PUBLIC_URL = 'http://127.0.0.1:3080';
export const REDIRECT_URI = `${PUBLIC_URL}/v1/login/callback`;
export const PASSWORD = 'login-test-password';

/** A CA whose login uses a real development IdP, on a clock the test moves; `/test/whoami` needs a signed-in caller. */
export interface LoginHarness {
  ca: TestCa;
  idp: DevIdp;
  key: TestKey;
  advance(seconds: number): void;
  certificateCount(): Promise<number>;
  /** Starts a login as a CLI would, with a fresh one-time secret. */
  start(mode: 'browser' | 'headless', remoteAddress?: string): Promise<{ body: Record<string, unknown>; secret: string; status: number }>;
  /** Signs in at the dev IdP from an IdP URL; returns the callback URL the IdP sent the browser to. */
  signIn(idpUrl: string, login: string): Promise<string>;
  /** `path?query` of an absolute CA URL, for inject. */
  local(url: string): string;
  close(): Promise<void>;
}

export async function createLoginHarness(kind: DatabaseKind): Promise<LoginHarness> {
  const clientSecret = randomBytes(24).toString('base64url');
  const idp = await startDevIdp({ host: '127.0.0.1', port: 0, password: PASSWORD, clients: [{ clientId: 'access-test', clientSecret, redirectUris: [REDIRECT_URI] }] });
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const relyingParty = createRelyingParty({
    issuerUrl: idp.issuer,
    clientId: 'access-test',
    clientSecret,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'email', 'profile', 'groups'],
    groupsClaim: 'groups',
    requireVerifiedEmail: true,
    clockTolerance: 30,
    clock,
  });
  const ca = await createTestCa(kind, { ACCESS_PUBLIC_URL: PUBLIC_URL, ACCESS_GATEWAY_ADDR: '127.0.0.1:3022' }, clock, { relyingParty });
  ca.app.get('/test/whoami', { onRequest: requireCaller(ca.services, 'user') }, async (request) => ({ actor: request.caller!.actor }));
  const key = sshKeygen('ed25519');
  return {
    ca,
    idp,
    key,
    advance: (seconds) => {
      offset += seconds * 1000;
    },
    certificateCount: async () =>
      Number((await ca.services.database.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    async start(mode, remoteAddress) {
      const secret = randomBytes(32).toString('base64url');
      const payload = { publicKey: key.publicKey, mode, secretHash: hashSecret(secret), ...(mode === 'browser' ? { callbackPort: 49_152 } : {}) };
      const res = await ca.app.inject({ method: 'POST', url: '/v1/login/start', payload, ...(remoteAddress ? { remoteAddress } : {}) });
      return { body: res.json(), secret, status: res.statusCode };
    },
    async signIn(idpUrl, login) {
      const result = await browserLogin({ authorizationUrl: idpUrl, redirectUri: REDIRECT_URI, login, password: PASSWORD });
      if (!result.callbackUrl) throw new Error(`the dev IdP did not redirect back (status ${result.status}): ${result.visited.join(' -> ')}`);
      return result.callbackUrl;
    },
    local: (url) => {
      const u = new URL(url, PUBLIC_URL);
      return `${u.pathname}${u.search}`;
    },
    close: async () => {
      await ca?.close();
      await idp?.close();
    },
  };
}
