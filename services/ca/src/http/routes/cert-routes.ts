import type { CertType } from '@access/sshcert';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../authority/authority.ts';
import { parseSignRequest } from '../../authority/sign-request.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';

/** The signing API for automation: parse → check → sign → render. */
export const certRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const onRequest = requireCaller(services, 'admin');
    const context = (request: FastifyRequest): RequestContext => ({ actor: request.caller!.actor, remote: request.ip });

    for (const type of ['user', 'host'] as const satisfies readonly CertType[]) {
      app.post(`/v1/certs/${type}`, { onRequest }, async (request, reply) => {
        let signRequest;
        try {
          signRequest = parseSignRequest(type, request.body);
        } catch (error) {
          return services.authority.refuse(type, error, context(request));
        }
        const issued = await services.authority.sign(signRequest, context(request));
        services.metrics.count('access_ca_certificates_issued_total', { type });
        return reply.status(201).send({
          certificate: issued.certificate,
          serial: issued.serial.toString(),
          type: issued.type,
          keyId: issued.keyId,
          principals: issued.principals,
          validAfter: issued.validAfter.toISOString(),
          validBefore: issued.validBefore.toISOString(),
          caFingerprint: issued.caFingerprint,
        });
      });
    }
  };
