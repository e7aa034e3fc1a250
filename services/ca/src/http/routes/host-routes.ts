import type { FastifyPluginAsync } from 'fastify';
import { badRequest } from '../../errors.ts';
import type { HostChange, HostInput } from '../../identity/identity.ts';
import { validateHostLabels } from '../../identity/labels.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { hostJson } from './identity-views.ts';
import { changeBody, objectBody, plainObject, queryParams, text } from './request-input.ts';

function parseHostBody(body: unknown): HostInput {
  const b = objectBody(body, ['name', 'address', 'labels']);
  return { name: text(b['name'], 'name', 253), address: text(b['address'], 'address', 300), labels: hostLabels(b['labels']) };
}

function parseHostChange(body: unknown): HostChange {
  const b = changeBody(body, ['address', 'labels'], { name: 'a host cannot be renamed; create a new one' });
  const change: HostChange = {};
  if (b['address'] !== undefined) change.address = text(b['address'], 'address', 300);
  if (b['labels'] !== undefined) change.labels = hostLabels(b['labels']);
  return change;
}

const hostLabels = (value: unknown) => plainObject(value, 'labels', 64) as Record<string, string> | undefined;

/** `label=env=dev&label=team=web`: hosts carrying every one of these labels. */
function parseLabelFilter(query: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of queryParams(query, ['label'], ['label'])['label'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw badRequest('ERR_BAD_LABELS', `label takes KEY=VALUE, e.g. label=env=dev; got "${pair.slice(0, 80)}"`);
    const key = pair.slice(0, eq);
    if (labels[key] !== undefined) throw badRequest('ERR_BAD_LABELS', `the label ${key.slice(0, 63)} is given twice; a host has one value per label`);
    labels[key] = pair.slice(eq + 1);
  }
  return validateHostLabels(labels);
}

/** Hosts the gateway may dial, with the labels roles select them by. Reads need audit, changes need admin. */
export const hostRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const hosts = services.identity.hosts;
    const read = { onRequest: requireCaller(services, 'audit') };
    const change = { onRequest: requireCaller(services, 'admin') };

    app.get('/v1/hosts', read, async (request) => (await hosts.list({ labels: parseLabelFilter(request.query) })).map(hostJson));

    app.get<{ Params: { name: string } }>('/v1/hosts/:name', read, async (request) => hostJson(await hosts.get(request.params.name)));

    app.post('/v1/hosts', change, async (request, reply) => {
      const host = await hosts.create(parseHostBody(request.body), request.caller!.actor);
      return reply.status(201).send(hostJson(host));
    });

    app.patch<{ Params: { name: string } }>('/v1/hosts/:name', change, async (request) =>
      hostJson(await hosts.update(request.params.name, parseHostChange(request.body), request.caller!.actor)),
    );

    app.delete<{ Params: { name: string } }>('/v1/hosts/:name', change, async (request, reply) => {
      await hosts.delete(request.params.name, request.caller!.actor);
      return reply.status(204).send();
    });
  };
