import { randomBytes } from 'node:crypto';
import type { AuditActor } from '@access/audit';
import { LOGIN_CALLBACK_PATH, parseHostPort, type CaConfig } from '../config.ts';
import { isLoopbackHost, startDevIdp, type DevIdp } from '../dev-idp/dev-idp.ts';
import type { Identity } from '../identity/identity.ts';
import type { RoleInput } from '../identity/role-input.ts';
import { createRelyingParty, type RelyingParty } from '../oidc/relying-party.ts';

/** Printed at start; override with ACCESS_DEV_PASSWORD. Only the development IdP, on loopback, accepts it. */
export const DEFAULT_DEV_PASSWORD = 'access-dev';
export const DEFAULT_DEV_IDP_ADDR = '127.0.0.1:3081';
export const DEV_CLIENT_ID = 'access-dev';

export class DevModeError extends Error {
  readonly code = 'ERR_DEV_MODE';
}

export interface DevIdentity {
  idp: DevIdp;
  relyingParty: RelyingParty;
  password: string;
  close(): Promise<void>;
}

/**
 * `access-server start --dev`: a development IdP on loopback and the CA's relying party
 * pointed at it, with a client secret that exists only in this process. Refused unless
 * the CA itself listens on loopback: the demo users share one known password.
 */
export async function startDevIdentity(config: CaConfig, options: { idpAddr: string; password: string; log?: (line: string) => void }): Promise<DevIdentity> {
  if (!isLoopbackHost(config.httpHost)) {
    throw new DevModeError(`--dev serves demo users with a shared password, so the CA must listen on loopback (127.0.0.1 or ::1), not "${config.httpHost}"`);
  }
  const { host, port } = parseHostPort(options.idpAddr, '--dev-idp-addr');
  const clientSecret = randomBytes(32).toString('base64url');
  const redirectUri = `${config.publicUrl}${LOGIN_CALLBACK_PATH}`;
  const idp = await startDevIdp({ host, port, password: options.password, clients: [{ clientId: DEV_CLIENT_ID, clientSecret, redirectUris: [redirectUri] }], log: options.log });
  const relyingParty = createRelyingParty({
    issuerUrl: idp.issuer,
    clientId: DEV_CLIENT_ID,
    clientSecret,
    redirectUri,
    // The dev IdP, like Okta, releases groups only for the `groups` scope.
    scopes: ['openid', 'email', 'profile', 'groups'],
    groupsClaim: 'groups',
    requireVerifiedEmail: true,
    clockTolerance: 30,
  });
  return { idp, relyingParty, password: options.password, close: () => idp.close() };
}

const DEV_SEED_ACTOR: AuditActor = { kind: 'system', id: 'dev-seed' };

/** A role that reaches dev hosts as the person's own login (`bob@example.com` → `bob`). */
export const ENGINEER_ROLE: RoleInput = {
  name: 'engineer',
  description: 'development hosts, as your own login (--dev demo)',
  logins: ['{{email.local}}'],
  hostLabels: { env: ['dev'] },
  maxTtl: '8h',
  permissions: { pty: true, fileTransfer: true },
};

/** Demo grants: one admin (who is also an engineer), one engineer, one auditor. */
export const DEV_GRANTS: ReadonlyArray<{ user: string; role: string }> = [
  { user: 'alice@example.com', role: 'admin' },
  { user: 'alice@example.com', role: 'engineer' },
  { user: 'bob@example.com', role: 'engineer' },
  { user: 'carol@example.com', role: 'auditor' },
];

/** Creates the demo role and grants that are missing; running it again changes nothing. Returns what it created. */
export async function seedDevData(identity: Identity): Promise<string[]> {
  const created: string[] = [];
  const roles = new Set((await identity.roles.list()).map((r) => r.name));
  if (!roles.has(ENGINEER_ROLE.name)) {
    await identity.roles.create(ENGINEER_ROLE, DEV_SEED_ACTOR);
    created.push(`role ${ENGINEER_ROLE.name}`);
  }
  for (const { user, role } of DEV_GRANTS) {
    if ((await identity.grants.list({ user, role, activeOnly: true })).length > 0) continue;
    await identity.grants.add({ user, role, reason: 'dev seed' }, DEV_SEED_ACTOR);
    created.push(`grant ${role} to ${user}`);
  }
  return created;
}
