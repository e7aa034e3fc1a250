import type { Grant, Host, Role } from '../api-types.ts';
import type { Reply } from './fake-ca.ts';

/** The admin half of the fake CA: roles, grants and hosts in memory, with the contract's capability checks. */
export interface AdminState {
  roles: Map<string, Role>;
  grants: Map<string, Grant>;
  hosts: Map<string, Host>;
}

interface AdminRequest {
  method: string;
  url: URL;
  capabilities: string[];
  body: () => Promise<Record<string, unknown>>;
}

const err = (code: string, message: string) => ({ error: { code, message } });
const TTL: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const seconds = (v: unknown) => (typeof v === 'number' ? v : Number(/^(\d+)([smhd])$/.exec(String(v))?.[1] ?? NaN) * (TTL[String(v).slice(-1)] ?? 1));

export async function fakeAdminRoutes(state: AdminState, req: AdminRequest, reply: Reply): Promise<void> {
  const [, , kind = '', name] = req.url.pathname.split('/').map(decodeURIComponent);
  const reading = req.method === 'GET';
  const need = reading ? 'audit' : 'admin';
  if (!['roles', 'grants', 'hosts'].includes(kind)) return reply(404, err('ERR_NOT_FOUND', 'no such route'));
  if (!req.capabilities.includes(need) && !req.capabilities.includes('admin')) {
    return reply(403, err('ERR_FORBIDDEN', `this needs the ${need} capability, which your roles do not give`));
  }
  const table = state[kind as keyof AdminState] as Map<string, Role | Grant | Host>;
  if (reading && name === undefined) {
    let rows = [...table.values()];
    const label = req.url.searchParams.get('label');
    if (kind === 'hosts' && label) rows = rows.filter((h) => `${Object.entries((h as Host).labels).map(([k, v]) => `${k}=${v}`)}`.includes(label));
    const role = req.url.searchParams.get('role');
    if (kind === 'grants' && role) rows = rows.filter((g) => (g as Grant).role === role);
    return reply(200, rows);
  }
  const existing = name === undefined ? undefined : table.get(name);
  if (name !== undefined && !existing) return reply(404, err('ERR_NOT_FOUND', `no ${kind.slice(0, -1)} named ${name}`));
  if (reading) return reply(200, existing);
  if (req.method === 'DELETE') {
    if (kind !== 'grants') {
      table.delete(name!);
      return reply(204);
    }
    const revoked = { ...(existing as Grant), revokedAt: new Date().toISOString(), active: false };
    table.set(name!, revoked);
    return reply(200, revoked);
  }
  const b = await req.body();
  if (req.method === 'PATCH') {
    const updated = { ...existing, ...b, ...(b['maxTtl'] !== undefined ? { maxTtl: seconds(b['maxTtl']) } : {}) } as Role | Host;
    table.set(name!, updated);
    return reply(200, updated);
  }
  if (kind === 'roles') {
    const role = { description: null, capabilities: [], ...b, maxTtl: seconds(b['maxTtl']) } as unknown as Role;
    state.roles.set(role.name, role);
    return reply(201, role);
  }
  if (kind === 'hosts') {
    if (state.hosts.has(String(b['name']))) return reply(409, err('ERR_HOST_EXISTS', `a host named ${String(b['name'])} exists`));
    state.hosts.set(String(b['name']), b as unknown as Host);
    return reply(201, b);
  }
  const id = `grt_${state.grants.size + 1}`;
  const grant: Grant = {
    id, subjectKind: b['user'] ? 'user' : 'group', subject: String(b['user'] ?? b['group']), role: String(b['role']),
    expiresAt: b['expires'] ? new Date(Date.now() + seconds(b['expires']) * 1000).toISOString() : null, reason: String(b['reason']), revokedAt: null, active: true,
  };
  state.grants.set(id, grant);
  return reply(201, grant);
}
