import type { AuditActor } from '@access/audit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessError } from '../errors.ts';
import type { TokenInfo, TokenRole } from '../tokens/machine-tokens.ts';
import type { CaServices } from './services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    token: TokenInfo | null;
  }
}

export const tokenActor = (token: TokenInfo): AuditActor => ({ kind: 'token', id: token.id, name: token.description });

/**
 * An `onRequest` hook, so a caller without a valid token is refused before its body is
 * read. Every refusal is an `auth.denied` audit event.
 */
export function requireToken(services: CaServices, role: TokenRole) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    const token = match ? await services.tokens.authenticate(match[1]!) : null;
    const reason = !header ? 'no bearer token' : !token ? 'invalid, expired or revoked token' : token.role !== role ? `token role ${token.role} is not ${role}` : null;
    if (reason) {
      await services.audit.append({
        type: 'auth.denied',
        actor: token ? tokenActor(token) : { kind: 'anonymous', id: 'anonymous' },
        remote: request.ip,
        details: { route: request.routeOptions.url ?? request.url, method: request.method, reason },
      });
      throw token
        ? new AccessError('ERR_FORBIDDEN', 403, `this token may not do that (${reason})`)
        : new AccessError('ERR_UNAUTHENTICATED', 401, 'send "Authorization: Bearer <token>"; create a token with "access-server token create --role admin"');
    }
    request.token = token;
  };
}
