import type { AuditEventType, AuditRecord } from '@access/audit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { upsertUserFromClaims, type SignedInUser } from '../../identity/users.ts';
import type { TestCa } from '../../testing/test-ca.ts';

/** Helpers for the route tests: people with grants, calls with a token, the last audit event. */

export interface Person {
  user: SignedInUser;
  token: string;
}

/** A signed-in person (verified email) holding the given roles through grants to their email. */
export async function signedInPerson(ca: TestCa, email: string, roles: readonly string[] = [], groups: readonly string[] = []): Promise<Person> {
  const claims = { issuer: 'https://idp.test', subject: email, email, emailVerified: true, groups };
  const user = await upsertUserFromClaims(ca.services.database.db, claims, new Date());
  for (const role of roles) await ca.services.identity.grants.add({ user: email, role, reason: 'test setup' }, { kind: 'system', id: 'test' });
  const { token } = await ca.services.userTokens.issue(user.id, new Date(Date.now() + 3_600_000));
  return { user, token };
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** `call(method, url, body?)` as the holder of `token`; a string body is sent as-is, as JSON. */
export function callerWith(ca: TestCa, token: string) {
  return (method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse> => {
    const options: InjectOptions = { method, url, headers: { authorization: `Bearer ${token}` } };
    if (typeof body === 'string') Object.assign(options, { payload: body, headers: { ...options.headers, 'content-type': 'application/json' } });
    else if (body !== undefined) options.payload = body as InjectOptions['payload'];
    return ca.app.inject(options);
  };
}

/** The newest audit event of a type. */
export async function lastAudit(ca: TestCa, type: AuditEventType): Promise<AuditRecord | undefined> {
  return (await ca.services.audit.list({ type, limit: 1 }))[0];
}

/** The newest audit event's seq: unchanged means nothing was changed (or refused) since. */
export async function auditHead(ca: TestCa): Promise<bigint> {
  return (await ca.services.audit.list({ limit: 1 }))[0]?.seq ?? 0n;
}

/** `METHOD /path` for every route, rebuilt from fastify's route tree. */
export function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ├└─]*)(\S+) \(([^)]*)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4 - 1;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of m[3]!.split(', ')) routes.push(`${method} ${stack.join('')}`);
  }
  return routes;
}
