import type { IdentityClaims } from './users.ts';
import { reviewGrants, type GrantReview, type GrantReviewOptions } from './grant-review.ts';
import { createGrants, type Grants } from './grants.ts';
import { createHosts, type Hosts } from './hosts.ts';
import { previewRoleReach, type RoleReach } from './role-reach.ts';
import type { RoleInput } from './role-input.ts';
import { createRoles, type IdentityDeps, type Roles } from './roles.ts';
import { signIn, type SignInResult } from './sign-in.ts';
import { getUserDetail, type UserDetail } from './user-detail.ts';

export type { Access } from './access-resolver.ts';
export type { GrantReview, GrantReviewOptions } from './grant-review.ts';
export type { Grant, GrantFilter, GrantInput, Grants } from './grants.ts';
export type { Host, HostChange, HostInput, Hosts } from './hosts.ts';
export type { RoleReach } from './role-reach.ts';
export type { Role, RoleChange, RoleInput, Roles } from './roles.ts';
export type { SignInResult } from './sign-in.ts';
export type { PersonGrants, UserCertificate, UserDetail } from './user-detail.ts';
export type { IdentityClaims, SignedInUser, User } from './users.ts';

/** Users, roles, grants and hosts: what the HTTP routes, the admin UI and the CLI call. */
export interface Identity {
  roles: Roles;
  grants: Grants;
  hosts: Hosts;
  signIn(claims: IdentityClaims, context: { remote: string | null }): Promise<SignInResult>;
  /** Access review at the service's clock: grants expiring soon and grants nobody uses (grant-review.ts). */
  reviewGrants(options?: GrantReviewOptions): Promise<GrantReview>;
  /** The enrolled hosts a saved role (by name) or a draft reaches, with its logins; nothing stored (role-reach.ts). */
  previewRoleReach(roleOrDraft: string | RoleInput): Promise<RoleReach[]>;
  /** One person by id or email: identity, lock, active grants and certificates, recent sessions (user-detail.ts). */
  userDetail(idOrEmail: string): Promise<UserDetail>;
}

export function createIdentity(deps: IdentityDeps & { bootstrapAdmins: readonly string[] }): Identity {
  const { db, clock } = deps;
  return {
    roles: createRoles(deps),
    grants: createGrants(deps),
    hosts: createHosts(deps),
    signIn: (claims, context) => signIn(deps, claims, context),
    reviewGrants: (options) => reviewGrants(db, clock(), options),
    previewRoleReach: (roleOrDraft) => previewRoleReach(db, roleOrDraft),
    userDetail: (idOrEmail) => getUserDetail(db, idOrEmail, clock()),
  };
}
