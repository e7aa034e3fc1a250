import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AccessError, badRequest } from '../../errors.ts';
import { resolveAccess, type Access } from '../../identity/access-resolver.ts';
import { reachableHosts } from '../../identity/reachable-hosts.ts';
import { NO_PERMISSIONS } from '../../identity/role-input.ts';
import { activeGrantsOf } from '../../identity/user-detail.ts';
import { getUser, type User } from '../../identity/users.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { grantJson } from './identity-views.ts';
import { objectBody } from './request-input.ts';

const notAPerson = () => badRequest('ERR_NOT_A_PERSON', 'this is for a person signed in with "access login"; a machine token has no grants, hosts or session');

/** The calling person, or 400 for a machine token. */
function person(request: FastifyRequest): User {
  const user = request.caller!.user;
  if (!user) throw notAPerson();
  return user;
}

/**
 * A person's access now, or null when they hold no active grant: asking who you are is not
 * an error. Other refusals (a login taken by someone else, an unverified email) say what to fix.
 */
async function accessOf(services: CaServices, user: User): Promise<Access | null> {
  try {
    return await resolveAccess(services.database.db, user, services.clock());
  } catch (error) {
    if (error instanceof AccessError && error.code === 'ERR_NO_GRANTS') return null;
    throw error;
  }
}

/** What the signed-in caller may do, and where: any valid token may ask about itself. */
export const meRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const db = services.database.db;
    const signedIn = { onRequest: requireCaller(services, 'user') };

    app.get('/v1/me', signedIn, async (request) => {
      const caller = request.caller!;
      if (!caller.user) {
        return { user: null, roles: [], principals: [], capabilities: caller.capabilities, permissions: NO_PERMISSIONS, maxTtl: null, grants: [] };
      }
      const now = services.clock();
      const access = await accessOf(services, caller.user);
      // Resolving may have claimed the person's login just now: read it back.
      const user = await getUser(db, caller.user.id);
      // Exactly the grants their access is made from, so a person sees why they have it and until when.
      const applied = new Set(access?.grantIds ?? []);
      const { direct, viaGroups } = await activeGrantsOf(db, user, now);
      const grants = [...direct, ...viaGroups].filter((g) => applied.has(g.id)).map((g) => grantJson(g, now));
      return {
        user: { id: user.id, email: user.email, displayName: user.displayName, groups: user.groups, login: user.login },
        roles: access?.roles ?? [],
        principals: access?.principals ?? [],
        capabilities: access?.capabilities ?? [],
        permissions: access?.permissions ?? NO_PERMISSIONS,
        maxTtl: access?.maxTtl ?? null,
        grants,
      };
    });

    app.get('/v1/me/hosts', signedIn, async (request) => {
      const user = person(request);
      const access = await accessOf(services, user);
      if (!access) return [];
      const hosts = await reachableHosts(db, user.id, access);
      return hosts.map(({ host, logins }) => ({ name: host.name, address: host.address, labels: host.labels, logins }));
    });

    app.post('/v1/logout', signedIn, async (request, reply) => {
      person(request);
      objectBody(request.body, []);
      // requireCaller accepted exactly this header, so the token is there.
      const secret = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')![1]!;
      await services.userTokens.revoke(secret);
      return reply.status(204).send();
    });
  };
