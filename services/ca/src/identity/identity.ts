import type { IdentityClaims } from './users.ts';
import { createGrants, type Grants } from './grants.ts';
import { createHosts, type Hosts } from './hosts.ts';
import { createRoles, type IdentityDeps, type Roles } from './roles.ts';
import { signIn, type SignInResult } from './sign-in.ts';

export type { Access } from './access-resolver.ts';
export type { Grant, GrantFilter, GrantInput, Grants } from './grants.ts';
export type { Host, HostChange, HostInput, Hosts } from './hosts.ts';
export type { Role, RoleChange, RoleInput, Roles } from './roles.ts';
export type { SignInResult } from './sign-in.ts';
export type { IdentityClaims, SignedInUser, User } from './users.ts';

/** Users, roles, grants and hosts: what the HTTP routes and the CLI call. */
export interface Identity {
  roles: Roles;
  grants: Grants;
  hosts: Hosts;
  signIn(claims: IdentityClaims, context: { remote: string | null }): Promise<SignInResult>;
}

export function createIdentity(deps: IdentityDeps & { bootstrapAdmins: readonly string[] }): Identity {
  return {
    roles: createRoles(deps),
    grants: createGrants(deps),
    hosts: createHosts(deps),
    signIn: (claims, context) => signIn(deps, claims, context),
  };
}
