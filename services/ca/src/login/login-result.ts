import type { AuditActor, AuditLog } from '@access/audit';
import type { Db, RoleCapability, RolePermissions } from '@access/db';
import type { Authority, IssuedCertificate } from '../authority/authority.ts';
import { resolveAccess } from '../identity/access-resolver.ts';
import { recordGrantUse } from '../identity/grant-review.ts';
import { getUser } from '../identity/users.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Login } from './login-store.ts';

/** What the CLI receives at the end of a login (API-CONTRACT.md, "Login"). */
export interface LoginResult {
  /** Null when the person's roles give no SSH login (an auditor): they still get an API token. */
  certificate: string | null;
  serial: string | null;
  principals: string[];
  validAfter: string;
  validBefore: string;
  user: { id: string; email: string; displayName: string | null; groups: string[] };
  roles: string[];
  capabilities: RoleCapability[];
  permissions: RolePermissions;
  apiToken: string;
  knownHosts: string;
  gateway: { host: string; port: number };
}

export interface CompleteDeps {
  db: Db;
  audit: AuditLog;
  authority: Authority;
  userTokens: UserTokens;
  keyring: Keyring;
  clock: () => Date;
  userCertMaxTtl: number;
  gateway: { host: string; port: number };
}

/**
 * The last step of every login, once the CLI has proved its secret: the person's access is
 * resolved again (a grant revoked or a lock since sign-in counts), a certificate is signed
 * for the login's key with exactly that access, and an API token as long-lived as it is
 * issued. A refusal is thrown as an AccessError; the authority audits its own.
 */
export async function completeLogin(deps: CompleteDeps, login: Login, remote: string | null): Promise<LoginResult> {
  const { db, clock } = deps;
  if (!login.userId) throw new Error(`login ${login.id} has no user`);
  const user = await getUser(db, login.userId);
  const now = clock();
  const access = await resolveAccess(db, user, now);
  const actor: AuditActor = { kind: 'user', id: user.id, name: user.email };
  // The CA-wide cap is a ceiling, not a reason to refuse: a role may allow more than this CA signs.
  const ttl = Math.min(access.maxTtl, deps.userCertMaxTtl);
  let issued: IssuedCertificate | null = null;
  if (access.principals.length > 0) {
    issued = await deps.authority.sign(
      { type: 'user', publicKey: login.publicKey, principals: access.principals, ttl, keyId: user.email, extensions: access.extensions },
      { actor, remote },
    );
  }
  // Every grant the access was made from is now in use: what an access review reads.
  await recordGrantUse(db, access.grantIds, now);
  const validBefore = issued?.validBefore ?? new Date(now.getTime() + ttl * 1000);
  const hostKeys = (await deps.keyring.published()).filter((k) => k.kind === 'host');
  const { token, id: tokenId } = await deps.userTokens.issue(user.id, validBefore);
  const result: LoginResult = {
    certificate: issued?.certificate ?? null,
    serial: issued?.serial.toString() ?? null,
    principals: issued?.principals ?? [],
    validAfter: (issued?.validAfter ?? now).toISOString(),
    validBefore: validBefore.toISOString(),
    user: { id: user.id, email: user.email, displayName: user.displayName, groups: user.groups },
    roles: access.roles,
    capabilities: access.capabilities,
    permissions: access.permissions,
    apiToken: token,
    knownHosts: hostKeys.map((k) => `@cert-authority * ${k.publicKey}\n`).join(''),
    gateway: deps.gateway,
  };
  const { apiToken: _secret, ...stored } = result;
  await db.updateTable('logins').set({ result: JSON.stringify(stored), completed_at: now }).where('id', '=', login.id).execute();
  await deps.audit.append({
    type: 'login.completed',
    actor,
    remote,
    details: { loginId: login.id, mode: login.mode, serial: result.serial, principals: result.principals, roles: access.roles, grantIds: access.grantIds, apiTokenId: tokenId, validBefore: result.validBefore },
  });
  return result;
}
