import type { FastifyPluginAsync } from 'fastify';
import { listUsers, lockUser, unlockUser } from '../../identity/users.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { userDetailJson, userJson } from './identity-views.ts';
import { objectBody, text } from './request-input.ts';

/**
 * People as the identity provider last described them. They are created by logging in,
 * never here; an admin can only lock (no new certificates, no sessions) and unlock them.
 */
export const userRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const deps = { db: services.database.db, audit: services.audit, clock: services.clock };
    const read = { onRequest: requireCaller(services, 'audit') };
    const change = { onRequest: requireCaller(services, 'admin') };

    app.get('/v1/users', read, async () => (await listUsers(deps.db)).map(userJson));

    // By id or email: identity, lock, active grants and certificates, the 20 latest sessions.
    app.get<{ Params: { id: string } }>('/v1/users/:id', read, async (request) =>
      userDetailJson(await services.identity.userDetail(request.params.id), services.clock()),
    );

    app.post<{ Params: { id: string } }>('/v1/users/:id/lock', change, async (request) => {
      const b = objectBody(request.body, ['reason']);
      const reason = text(b['reason'], 'reason (why the person is locked out, for later reviews)', 500);
      const user = await lockUser(deps, request.params.id, reason, request.caller!.actor);
      // Their API tokens end as well: after an unlock they sign in again.
      await services.userTokens.revokeAll(user.id);
      await services.web.sessions.endAll(user.id);
      return userJson(user);
    });

    app.post<{ Params: { id: string } }>('/v1/users/:id/unlock', change, async (request) => {
      objectBody(request.body, []);
      return userJson(await unlockUser(deps, request.params.id, request.caller!.actor));
    });
  };
