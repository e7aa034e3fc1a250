import { AccessError } from '../errors.ts';
import type { Grant } from './grants.ts';
import type { User } from './users.ts';

/** A grant as the resolver sees it: the row and whether it applies to the person now. */
export interface GrantCandidate {
  grant: Grant;
  active: boolean;
}

/**
 * Explains why a person with no active grant has none, so they (and the admin they ask)
 * know what to change: a revoked or expired grant, a group the IdP no longer sends, an email
 * the IdP did not verify, or simply nothing granted yet.
 */
export function noGrantsError(user: User & { droppedGroups?: readonly string[] }, candidates: readonly GrantCandidate[], now: Date): AccessError {
  const ask = `ask an admin: access grants add --user ${user.email} --role ROLE`;
  const live = (g: Grant) => !g.revokedAt && (!g.expiresAt || g.expiresAt > now);
  const fail = (message: string) => new AccessError('ERR_NO_GRANTS', 403, message);

  const dropped = new Set(user.droppedGroups ?? []);
  const viaDroppedGroup = candidates.filter(({ grant: g }) => g.subjectKind === 'group' && dropped.has(g.subject) && live(g));
  if (viaDroppedGroup.length > 0) {
    const groups = [...new Set(viaDroppedGroup.map((c) => c.grant.subject))].sort().join(', ');
    return fail(`your access came through the group(s) ${groups}, which your identity provider no longer lists in your groups; ask your IdP admin to add you back, or ${ask}`);
  }
  const personal = candidates.filter(({ grant: g }) => g.subjectKind === 'user' && live(g));
  if (personal.length > 0 && !user.emailVerified) {
    return fail(`you have grants for ${user.email}, but your identity provider does not mark that email as verified, so they do not apply; ask your IdP admin to verify it`);
  }
  const mine = candidates.filter(({ grant: g }) => g.subjectKind === 'user' || user.groups.includes(g.subject));
  if (mine.length === 0) return fail(`you have no access grants yet; ${ask}`);
  const expired = mine.filter(({ grant: g }) => !g.revokedAt && g.expiresAt && g.expiresAt <= now);
  if (expired.length > 0) {
    const last = expired.map((c) => c.grant).sort((a, b) => b.expiresAt!.getTime() - a.expiresAt!.getTime())[0]!;
    return fail(`your access grants have expired (the last, role ${last.role}, on ${last.expiresAt!.toISOString()}); ${ask}`);
  }
  return fail(`your access grants were revoked; ${ask}`);
}
