import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '@access/db';
import { AccessError } from '../../services/ca/src/errors.ts';
import { signedInPerson } from '../../services/ca/src/http/routes/route-test-kit.ts';
import type { RelyingParty } from '../../services/ca/src/oidc/relying-party.ts';
import { insertChunks, insertGateway, insertSession } from '../../services/ca/src/testing/session-rows.ts';
import { createTestCa, type TestCa } from '../../services/ca/src/testing/test-ca.ts';
import { webCookieName } from '../../services/ca/src/ui/web-cookie.ts';
import { ed25519PublicKeyLine } from './http-fuzz-inputs.ts';

/**
 * The CA the HTTP fuzz runs against: in process on the embedded database, with a role, a host,
 * people, a grant, a recorded session and a join token, so path parameters can name things
 * that exist; and credentials of every kind a route may need.
 */

const randomToken = () => randomBytes(32).toString('base64url');

/**
 * An identity provider that refuses every sign-in: the fuzz cannot make a valid ID token, but
 * without a provider at all the login routes answer 503 (not configured) before reading input.
 */
const refusingProvider: RelyingParty = {
  discover: async () => undefined,
  authorizationUrl: async () => {
    const [state, nonce, codeVerifier] = [randomToken(), randomToken(), randomToken()];
    return { url: `https://idp.invalid/authorize?state=${state}`, state, nonce, codeVerifier };
  },
  callback: async () => {
    throw new AccessError('ERR_OIDC_STATE', 400, 'the fuzz identity provider refuses every sign-in');
  },
};

export interface Credentials {
  /** A machine token with the admin role (`access-server token create --role admin`). */
  adminToken: string;
  /** An admin person's API token, as `access login` leaves it. */
  personToken: string;
  gatewayToken: string;
  /** The admin person's browser: the session cookie and the form token it carries. */
  webCookie: string;
  csrf: string;
}

export interface FuzzCa {
  ca: TestCa;
  credentials: Credentials;
  /** Values of path parameters that exist, by parameter name. */
  known: Record<string, string[]>;
  publicKey: string;
  joinToken: string;
  /** New credentials if a request ended the old ones (sign-out, logout); and the role and host back if deleted. */
  repair(): Promise<void>;
  close(): Promise<void>;
}

export async function startFuzzCa(): Promise<FuzzCa> {
  const ca = await createTestCa('pglite', {}, undefined, { relyingParty: refusingProvider });
  const actor = { kind: 'system' as const, id: 'fuzz' };
  const { roles, hosts } = ca.services.identity;
  const ensureFixtures = async () => {
    if (!(await roles.list()).some((r) => r.name === 'dev')) {
      await roles.create({ name: 'dev', logins: ['deploy'], hostLabels: { env: ['dev'] }, maxTtl: '1h' }, actor);
    }
    if (!(await hosts.list()).some((h) => h.name === 'web-1')) await hosts.create({ name: 'web-1', address: '10.0.0.1:22', labels: { env: 'dev' } }, actor);
  };
  await ensureFixtures();
  const admin = await signedInPerson(ca, 'admin@example.com', ['admin']);
  const engineer = await signedInPerson(ca, 'eng@example.com', ['dev']);
  const db = ca.services.database.db;
  const sessionId = await insertSession(db, await insertGateway(db), { user_id: engineer.user.id, user_email: 'eng@example.com' });
  await insertChunks(db, sessionId, [['[0.1,"o","$ ls\\r\\n"]'], ['[0.5,"o","a b c\\r\\n"]', '[0.9,"m","note"]']]);
  const grants = await ca.services.identity.grants.list();
  const { token: gatewayToken } = await ca.services.tokens.create({ role: 'gateway', description: 'fuzz gateway' }, actor);
  const publicKey = ed25519PublicKeyLine();
  const joined = await ca.app.inject({ method: 'POST', url: '/v1/hosts/tokens', headers: { authorization: `Bearer ${ca.adminToken}` }, payload: { ttl: '1h' } });
  const joinToken = String(joined.json<{ token: string }>().token);

  const credentials = { adminToken: ca.adminToken, personToken: admin.token, gatewayToken, webCookie: '', csrf: '' };
  const openBrowser = async () => {
    const { secret } = await ca.services.web.sessions.open(admin.user.id, '127.0.0.1');
    credentials.webCookie = `${webCookieName(ca.config.publicUrl)}=${secret}`;
    credentials.csrf = ca.services.web.sessions.csrfToken(secret);
  };
  await openBrowser();

  return {
    ca,
    credentials,
    // The admin person is left out of `:id`: locking them would end the credentials mid-run.
    known: { name: ['dev', 'web-1', 'admin'], id: [engineer.user.id, sessionId, ...grants.map((g) => g.id)], '*': [] },
    publicKey,
    joinToken,
    async repair() {
      const secret = credentials.webCookie.split('=')[1];
      if (!(await ca.services.web.sessions.find(secret))) await openBrowser();
      if (!(await ca.services.userTokens.authenticate(credentials.personToken))) {
        credentials.personToken = (await ca.services.userTokens.issue(admin.user.id, new Date(Date.now() + 3_600_000))).token;
      }
      await ensureFixtures();
    },
    close: () => ca.close(),
  };
}

/**
 * Columns a refused request may still write: a token's last use is stamped once a minute
 * whatever the request then does (machine-tokens.ts), so it says nothing about the refusal.
 */
const VOLATILE: Record<string, readonly string[]> = { machine_tokens: ['last_used_at'] };
/** The audit log grows with every refusal by design (`auth.denied`, `cert.denied`); its chain is verified instead. */
const NOT_DIGESTED = new Set(['audit_events', 'audit_head']);

/**
 * Every table's row count and a hash of its rows, audit tables aside: equal digests, nothing
 * changed. The tables are read from the catalog once, so a table added later is compared too.
 */
export async function tableDigester(db: Db): Promise<() => Promise<Map<string, string>>> {
  const { rows: tables } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(db);
  const names = tables.map((t) => t.name).filter((name) => !NOT_DIGESTED.has(name));
  // One row, a column per table: count and an order-free sum of row hashes (a sorted md5 costs 7× as much).
  const query = `select ${names
    .map((name) => {
      const row = VOLATILE[name] ? `(to_jsonb(x)${VOLATILE[name].map((c) => ` - '${c}'`).join('')})::text` : 'x::text';
      return `(select count(*)::text || ':' || coalesce(sum(hashtext(${row})::bigint), 0)::text from "${name}" x) as "${name}"`;
    })
    .join(', ')}`;
  return async () => {
    const { rows } = await sql<Record<string, string>>`${sql.raw(query)}`.execute(db);
    return new Map(Object.entries(rows[0] ?? {}));
  };
}

/** The tables whose digests differ, for a failure message. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((t) => before.get(t) !== after.get(t));
}

export const shortHash = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex').slice(0, 12);
