import type { AuditActor, AuditEventInput } from '@access/audit';
import type { RoleCapability } from '@access/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessError } from '../errors.ts';
import { resolveAccess } from '../identity/access-resolver.ts';
import { getUser, type User } from '../identity/users.ts';
import type { CaServices } from './services.ts';

/** Who is calling: a machine token or a person signed in through `access login`. */
/** What a caller may do: a role's capabilities, or `gateway` for a gateway's machine token. */
export type CallerCapability = RoleCapability | 'gateway';

export interface Caller {
  actor: AuditActor;
  capabilities: readonly CallerCapability[];
  /** Set for people; null for machine tokens. */
  user: User | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/**
 * `user`: any signed-in person or admin token; `audit`/`admin`: a capability from a grant
 * (admin tokens hold both); `gateway`: a gateway's token, which holds nothing else.
 */
export type Need = 'user' | 'audit' | 'admin' | 'gateway';

async function identify(services: CaServices, secret: string): Promise<Caller | null> {
  if (secret.startsWith('acc_')) {
    const token = await services.tokens.authenticate(secret);
    if (!token) return null;
    return {
      actor: { kind: 'token', id: token.id, name: token.description },
      capabilities: token.role === 'gateway' ? ['gateway'] : ['admin', 'audit'],
      user: null,
    };
  }
  const found = await services.userTokens.authenticate(secret);
  return found ? callerForUser(services, found.userId) : null;
}

/** A signed-in person as a caller, with the capabilities their grants give now; null when locked. */
export async function callerForUser(services: CaServices, userId: string): Promise<Caller | null> {
  const user = await getUser(services.database.db, userId);
  if (user.lockedAt) return null;
  let capabilities: RoleCapability[] = [];
  try {
    capabilities = (await resolveAccess(services.database.db, user, services.clock())).capabilities;
  } catch (error) {
    // A person without grants may still ask who they are; they hold no capability.
    if (!(error instanceof AccessError) || error.status >= 500) throw error;
  }
  return { actor: { kind: 'user', id: user.id, name: user.email }, capabilities, user };
}

/**
 * Audits a refusal, unless `address` had as many audited in the last minute as the limit
 * allows: the last one audited says that more are left out. The refusal itself is the same.
 */
export async function auditDenial(services: Pick<CaServices, 'audit' | 'authDenials'>, address: string, event: AuditEventInput): Promise<void> {
  if (services.authDenials.blocked(address)) return;
  services.authDenials.refused(address);
  const last = services.authDenials.blocked(address);
  await services.audit.append(last ? { ...event, details: { ...event.details, moreNotAudited: `the last denial from ${address} audited this minute; more in the same minute are refused alike but not audited` } } : event);
}

/**
 * An `onRequest` hook: the caller is identified before the body is read, and every refusal
 * is an `auth.denied` audit event. Authorization is checked here, on the server, per route.
 */
export function requireCaller(services: CaServices, need: Need) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const caller = match ? await identify(services, match[1]!) : null;
    // A gateway token is good for the gateway routes only, not even for what any person may do.
    const isGateway = caller?.capabilities.includes('gateway') ?? false;
    const missing = caller && (need === 'user' ? (isGateway ? 'user' : null) : !caller.capabilities.includes(need) ? need : null);
    if (!caller || missing) {
      const reason = !match ? 'no bearer token' : !caller ? 'invalid, expired or revoked token' : `lacks the ${missing} capability`;
      await auditDenial(services, request.ip, {
        type: 'auth.denied',
        actor: caller?.actor ?? { kind: 'anonymous', id: 'anonymous' },
        remote: request.ip,
        details: { route: request.routeOptions.url ?? request.url, method: request.method, reason },
      });
      throw caller
        ? new AccessError('ERR_FORBIDDEN', 403, `you may not do that: it needs the ${missing} capability (ask an admin for a role that has it)`)
        : new AccessError('ERR_UNAUTHENTICATED', 401, 'sign in with "access login", or send "Authorization: Bearer <token>" from "access-server token create"');
    }
    request.caller = caller;
  };
}
