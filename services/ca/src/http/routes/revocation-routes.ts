import type { FastifyPluginAsync } from 'fastify';
import type { RevocationTarget } from '../../authority/revocations.ts';
import { badRequest } from '../../errors.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';

function parseTarget(body: unknown): { target: RevocationTarget; reason: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('ERR_BAD_REQUEST', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['serial', 'keyId', 'publicKey', 'reason'].includes(k));
  if (unknown.length) throw badRequest('ERR_BAD_REQUEST', `unknown field(s): ${unknown.slice(0, 5).join(', ')}`);
  const given = ['serial', 'keyId', 'publicKey'].filter((k) => b[k] !== undefined);
  if (given.length !== 1) throw badRequest('ERR_BAD_REQUEST', 'give exactly one of serial, keyId or publicKey');
  const reason = b['reason'] ?? 'revoked';
  if (typeof reason !== 'string' || reason.length > 1000) throw badRequest('ERR_BAD_REQUEST', 'reason must be a string of at most 1000 characters');
  const value = b[given[0]!];
  if (given[0] === 'serial') {
    if (typeof value !== 'string' || !/^[1-9]\d{0,19}$/.test(value)) throw badRequest('ERR_BAD_SERIAL', 'serial must be a decimal string such as "42"');
    return { target: { serial: BigInt(value) }, reason };
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 16_384) throw badRequest('ERR_BAD_REQUEST', `${given[0]} must be a non-empty string`);
  return { target: given[0] === 'keyId' ? { keyId: value } : { publicKey: value }, reason };
}

export const revocationRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    app.post('/v1/revocations', { onRequest: requireCaller(services, 'admin') }, async (request, reply) => {
      const { target, reason } = parseTarget(request.body);
      const { id } = await services.revocations.revoke(target, reason, { actor: request.caller!.actor, remote: request.ip });
      return reply.status(201).send({ id: id.toString() });
    });
  };
