import type { RoleCapability, RolePermissions, RoleRow } from '@access/db';
import { parseDuration } from '../duration.ts';
import { badRequest } from '../errors.ts';
import { validateLabelSelector, type LabelSelector } from './labels.ts';
import { validateLoginTemplate } from './login-template.ts';

export interface Role {
  name: string;
  description: string;
  /** Literal logins (`deploy`) and templates (`{{email.local}}`). */
  logins: string[];
  hostLabels: LabelSelector;
  /** Seconds: the longest certificate this role allows. */
  maxTtl: number;
  permissions: RolePermissions;
  capabilities: RoleCapability[];
  createdAt: Date;
  updatedAt: Date;
}

/** What an admin sends to create a role; every field but name and maxTtl has a safe default (nothing). */
export interface RoleInput {
  name: string;
  description?: string | undefined;
  logins?: readonly string[] | undefined;
  hostLabels?: Record<string, readonly string[]> | undefined;
  /** Seconds, or a duration such as `8h`. */
  maxTtl: number | string;
  permissions?: Partial<RolePermissions> | undefined;
  capabilities?: readonly string[] | undefined;
}

export type RoleChange = Partial<Omit<RoleInput, 'name'>>;
export type RoleSpec = Omit<Role, 'createdAt' | 'updatedAt'>;

export const ROLE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const CAPABILITIES: readonly RoleCapability[] = ['admin', 'audit'];
export const PERMISSION_NAMES: readonly (keyof RolePermissions)[] = ['pty', 'portForwarding', 'agentForwarding', 'fileTransfer', 'x11'];
export const NO_PERMISSIONS: RolePermissions = { pty: false, portForwarding: false, agentForwarding: false, fileTransfer: false, x11: false };
const MAX_ROLE_TTL = 365 * 86_400;
const MAX_LOGINS = 64;

const fail = (message: string): never => {
  throw badRequest('ERR_BAD_ROLE', message);
};

export function checkRoleName(name: unknown): string {
  if (typeof name !== 'string' || !ROLE_NAME.test(name)) {
    fail(`role name ${JSON.stringify(name)} must be 1-63 characters of a-z, 0-9 and "-", starting with a letter`);
  }
  return name as string;
}

/** Checks a role at the boundary and brings it to its stored form (lists unique and sorted). */
export function parseRoleInput(input: RoleInput): RoleSpec {
  const name = checkRoleName(input.name);
  const description = input.description ?? '';
  if (typeof description !== 'string' || description.length > 500) fail('description must be text of at most 500 characters');

  const logins = input.logins ?? [];
  if (!Array.isArray(logins) || logins.length > MAX_LOGINS) fail(`logins must be a list of at most ${MAX_LOGINS} logins or templates`);
  for (const login of logins) {
    if (typeof login !== 'string') fail('every login must be a string');
    validateLoginTemplate(login);
  }

  const maxTtl = parseDuration(input.maxTtl, 'maxTtl');
  if (maxTtl > MAX_ROLE_TTL) fail('maxTtl must be at most 365d');

  const permissions = { ...NO_PERMISSIONS };
  const given = input.permissions ?? {};
  if (typeof given !== 'object' || given === null) fail('permissions must be an object');
  for (const [key, value] of Object.entries(given)) {
    if (!(PERMISSION_NAMES as readonly string[]).includes(key)) fail(`unknown permission "${key}"; known: ${PERMISSION_NAMES.join(', ')}`);
    if (typeof value !== 'boolean') fail(`permission ${key} must be true or false`);
    permissions[key as keyof RolePermissions] = value as boolean;
  }

  const capabilities = input.capabilities ?? [];
  if (!Array.isArray(capabilities)) fail('capabilities must be a list');
  for (const c of capabilities) if (!(CAPABILITIES as readonly string[]).includes(c)) fail(`unknown capability "${c}"; known: ${CAPABILITIES.join(', ')}`);

  return {
    name,
    description,
    logins: [...new Set(logins)].sort(),
    hostLabels: validateLabelSelector(input.hostLabels ?? {}),
    maxTtl,
    permissions,
    capabilities: [...new Set(capabilities as RoleCapability[])].sort(),
  };
}

/** The role after applying a change: unchanged fields keep their values, then the whole is checked again. */
export function applyRoleChange(role: RoleSpec, change: RoleChange): RoleSpec {
  return parseRoleInput({
    name: role.name,
    description: change.description ?? role.description,
    logins: change.logins ?? role.logins,
    hostLabels: change.hostLabels ?? role.hostLabels,
    maxTtl: change.maxTtl ?? role.maxTtl,
    permissions: { ...role.permissions, ...change.permissions },
    capabilities: change.capabilities ?? role.capabilities,
  });
}

export function toRole(row: RoleRow): Role {
  return {
    name: row.name,
    description: row.description,
    logins: row.logins,
    hostLabels: row.host_labels,
    maxTtl: row.max_ttl,
    permissions: { ...NO_PERMISSIONS, ...row.permissions },
    capabilities: row.capabilities,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The form audit events carry as `before` and `after`. */
export const roleView = (r: RoleSpec): RoleSpec => ({
  name: r.name,
  description: r.description,
  logins: r.logins,
  hostLabels: r.hostLabels,
  maxTtl: r.maxTtl,
  permissions: r.permissions,
  capabilities: r.capabilities,
});
