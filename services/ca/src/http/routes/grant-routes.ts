import type { FastifyPluginAsync } from 'fastify';
import { badRequest } from '../../errors.ts';
import type { GrantFilter, GrantInput, GrantReviewOptions } from '../../identity/identity.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { grantJson, grantReviewJson } from './identity-views.ts';
import { booleanParam, duration, objectBody, optionalText, queryParams, text } from './request-input.ts';

function parseGrantBody(body: unknown): GrantInput {
  const b = objectBody(body, ['user', 'group', 'role', 'expires', 'reason']);
  return {
    user: optionalText(b['user'], 'user', 254),
    group: optionalText(b['group'], 'group', 255),
    role: text(b['role'], 'role', 63),
    expires: duration(b['expires'], 'expires'),
    reason: text(b['reason'], 'reason (why the grant is given: it is what a later review reads)', 500),
  };
}

/** `active=true`: neither revoked nor expired; `active=false`: revoked or expired; absent: all. */
function parseGrantFilter(query: unknown): { filter: GrantFilter; active: boolean | undefined } {
  const q = queryParams(query, ['user', 'group', 'role', 'active']);
  const active = booleanParam(q['active']?.[0], 'active');
  return { filter: { user: q['user']?.[0], group: q['group']?.[0], role: q['role']?.[0], activeOnly: active === true }, active };
}

/** `expiringWithinDays=7&unusedDays=30`: whole numbers; the domain checks their range. */
function parseReviewQuery(query: unknown): GrantReviewOptions {
  const q = queryParams(query, ['expiringWithinDays', 'unusedDays']);
  const days = (name: string): number | undefined => {
    const value = q[name]?.[0];
    if (value === undefined) return undefined;
    if (!/^\d{1,5}$/.test(value)) throw badRequest('ERR_BAD_REQUEST', `${name} must be a whole number of days, got "${value.slice(0, 40)}"`);
    return Number(value);
  };
  return { expiringWithinDays: days('expiringWithinDays'), unusedDays: days('unusedDays') };
}

/** Grants: a role for a person (by email) or an IdP group. Reads need audit, changes need admin. */
export const grantRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const grants = services.identity.grants;
    const read = { onRequest: requireCaller(services, 'audit') };
    const change = { onRequest: requireCaller(services, 'admin') };

    app.get('/v1/grants', read, async (request) => {
      const { filter, active } = parseGrantFilter(request.query);
      const now = services.clock();
      const views = (await grants.list(filter)).map((g) => grantJson(g, now));
      return active === false ? views.filter((g) => !g.active) : views;
    });

    // Access review: active grants that end soon, and those no login used for a while.
    app.get('/v1/grants/review', read, async (request) => {
      const options = parseReviewQuery(request.query);
      return grantReviewJson(await services.identity.reviewGrants(options), services.clock());
    });

    app.post('/v1/grants', change, async (request, reply) => {
      const grant = await grants.add(parseGrantBody(request.body), request.caller!.actor);
      return reply.status(201).send(grantJson(grant, services.clock()));
    });

    // Revoking keeps the grant for history; it answers with the revoked grant.
    app.delete<{ Params: { id: string } }>('/v1/grants/:id', change, async (request) =>
      grantJson(await grants.revoke(request.params.id, request.caller!.actor), services.clock()),
    );
  };
