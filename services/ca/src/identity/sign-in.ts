import type { AuditActor } from '@access/audit';
import { asAccessError } from '../authority/policy.ts';
import { resolveAccess, type Access } from './access-resolver.ts';
import { ensureBootstrapGrant } from './bootstrap.ts';
import type { Grant } from './grants.ts';
import type { IdentityDeps } from './roles.ts';
import { upsertUserFromClaims, type IdentityClaims, type SignedInUser } from './users.ts';

export interface SignInResult {
  user: SignedInUser;
  access: Access;
  /** The admin grant made now for an ACCESS_BOOTSTRAP_ADMINS email, if one was. */
  bootstrapGrant: Grant | null;
}

export interface SignInDeps extends IdentityDeps {
  bootstrapAdmins: readonly string[];
}

/**
 * What a verified login turns into: the user record brought up to date with the IdP's
 * claims, the first admin's bootstrap grant, and the person's access; audited as
 * `user.login`, or `user.login.denied` with the reason, which is then thrown as an AccessError.
 * The OIDC layer checks the token; this is everything after.
 */
export async function signIn(deps: SignInDeps, claims: IdentityClaims, context: { remote: string | null }): Promise<SignInResult> {
  const { db, audit, clock } = deps;
  const now = clock();
  let actor: AuditActor = { kind: 'anonymous', id: String(claims.subject).slice(0, 255) };
  const deny = async (error: unknown): Promise<never> => {
    const refusal = asAccessError(error);
    if (refusal.status < 500) {
      const details = { issuer: String(claims.issuer).slice(0, 2048), email: String(claims.email).slice(0, 254), code: refusal.code, reason: refusal.message };
      await audit.append({ type: 'user.login.denied', actor, remote: context.remote, details });
    }
    throw refusal;
  };

  let user: SignedInUser;
  try {
    user = await upsertUserFromClaims(db, claims, now);
  } catch (error) {
    return deny(error);
  }
  actor = { kind: 'user', id: user.id, name: user.email };
  try {
    const bootstrapGrant = await ensureBootstrapGrant(deps, user, deps.bootstrapAdmins);
    const access = await resolveAccess(db, user, now);
    await audit.append({
      type: 'user.login',
      actor,
      remote: context.remote,
      details: {
        userId: user.id,
        issuer: user.issuer,
        email: user.email,
        groups: user.groups,
        roles: access.roles,
        principals: access.principals,
        grantIds: access.grantIds,
        bootstrapGrant: bootstrapGrant?.id ?? null,
      },
    });
    return { user, access, bootstrapGrant };
  } catch (error) {
    return deny(error);
  }
}
