import type { FastifyPluginAsync } from 'fastify';
import type { RoleChange, RoleInput } from '../../identity/identity.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { roleJson, roleReachJson } from './identity-views.ts';
import { changeBody, duration, objectBody, optionalText, plainObject, requiredDuration, text, textList } from './request-input.ts';

const CHANGE_FIELDS = ['description', 'logins', 'hostLabels', 'maxTtl', 'permissions', 'capabilities'] as const;
const INPUT_FIELDS = ['name', ...CHANGE_FIELDS] as const;

/** The fields a role body may hold, with their types checked; the domain checks their values. */
function roleFields(body: Record<string, unknown>): RoleChange {
  return {
    description: body['description'] === '' ? '' : optionalText(body['description'], 'description', 500),
    logins: textList(body['logins'], 'logins', 64, 64),
    hostLabels: plainObject(body['hostLabels'], 'hostLabels', 64) as RoleChange['hostLabels'],
    maxTtl: duration(body['maxTtl'], 'maxTtl'),
    permissions: plainObject(body['permissions'], 'permissions', 16) as RoleChange['permissions'],
    capabilities: textList(body['capabilities'], 'capabilities', 8, 32),
  };
}

function parseRoleBody(body: unknown): RoleInput {
  const record = objectBody(body, INPUT_FIELDS);
  return { ...roleFields(record), name: text(record['name'], 'name', 63), maxTtl: requiredDuration(record['maxTtl'], 'maxTtl') };
}

function parseRoleChange(body: unknown): RoleChange {
  const fields = roleFields(changeBody(body, CHANGE_FIELDS, { name: 'a role cannot be renamed; create a new one' }));
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * Roles: reads need the audit capability, changes need admin; the domain audits every change.
 * Which hosts a role reaches is part of editing one, so it needs admin too.
 */
export const roleRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const roles = services.identity.roles;
    const read = { onRequest: requireCaller(services, 'audit') };
    const change = { onRequest: requireCaller(services, 'admin') };

    app.get('/v1/roles', read, async () => (await roles.list()).map(roleJson));

    app.get<{ Params: { name: string } }>('/v1/roles/:name', read, async (request) => roleJson(await roles.get(request.params.name)));

    app.get<{ Params: { name: string } }>('/v1/roles/:name/reach', change, async (request) =>
      (await services.identity.previewRoleReach(request.params.name)).map(roleReachJson),
    );

    // A draft is checked exactly as POST /v1/roles checks it; nothing is stored or audited.
    app.post('/v1/roles/preview', change, async (request) => (await services.identity.previewRoleReach(parseRoleBody(request.body))).map(roleReachJson));

    app.post('/v1/roles', change, async (request, reply) => {
      const role = await roles.create(parseRoleBody(request.body), request.caller!.actor);
      return reply.status(201).send(roleJson(role));
    });

    app.patch<{ Params: { name: string } }>('/v1/roles/:name', change, async (request) =>
      roleJson(await roles.update(request.params.name, parseRoleChange(request.body), request.caller!.actor)),
    );

    app.delete<{ Params: { name: string } }>('/v1/roles/:name', change, async (request, reply) => {
      await roles.delete(request.params.name, request.caller!.actor);
      return reply.status(204).send();
    });
  };
