import type { FastifyPluginAsync } from 'fastify';
import { parseCertificate, verifyCertificate, type SshCertificate } from '@access/sshcert';
import { badRequest, forbidden, notFound } from '../../errors.ts';
import type { EngineerIdentity, SessionGrant } from '../../gateway/gateway-authority.ts';
import type { HostInfo } from '@access/gateway';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { objectBody, text, textList } from './request-input.ts';

export const identityJson = (i: EngineerIdentity) => ({ ...i, validBefore: i.validBefore.toISOString() });
const hostJson = (h: HostInfo) => ({ name: h.name, address: h.address, labels: h.labels });
const grantJson = (g: SessionGrant) => ({ ...g, host: hostJson(g.host), validBefore: g.validBefore.toISOString() });

/**
 * What a recording gateway asks the CA, with a `gateway` machine token. The CA never takes
 * the gateway's word for who an engineer is: each call carries the engineer's certificate,
 * which the CA verifies (user CA, validity) and identifies itself before deciding.
 */
export const gatewayRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const onRequest = requireCaller(services, 'gateway');

    async function engineer(value: unknown): Promise<{ certificate: SshCertificate; identity: EngineerIdentity }> {
      const line = text(value, 'certificate', 16_384);
      let certificate: SshCertificate;
      try {
        certificate = parseCertificate(line);
        verifyCertificate(certificate, { trustedCaKeys: await services.gateway.trustedKeys('user'), type: 'user', now: services.clock() });
      } catch (error) {
        throw forbidden('ERR_CERT_INVALID', `the engineer's certificate is not acceptable: ${(error as Error).message}`);
      }
      return { certificate, identity: await services.gateway.identify(certificate) };
    }

    app.post('/v1/gateway/identify', { onRequest }, async (request) => {
      const b = objectBody(request.body, ['certificate']);
      return identityJson((await engineer(b['certificate'])).identity);
    });

    app.post('/v1/gateway/hosts/lookup', { onRequest }, async (request) => {
      const b = objectBody(request.body, ['destination']);
      const host = await services.gateway.findHost(text(b['destination'], 'destination', 300));
      if (!host) throw notFound('ERR_UNKNOWN_HOST', 'no enrolled host has that name or address');
      return hostJson(host);
    });

    app.post('/v1/gateway/authorize', { onRequest }, async (request) => {
      const b = objectBody(request.body, ['certificate', 'login', 'destination', 'connectionId', 'upstreamPublicKey', 'sourceAddress', 'clientAddress']);
      const { certificate, identity } = await engineer(b['certificate']);
      const grant = await services.gateway.authorize({
        certificate,
        identity,
        login: text(b['login'], 'login', 64),
        destination: text(b['destination'], 'destination', 300),
        connectionId: text(b['connectionId'], 'connectionId', 64),
        upstreamPublicKey: text(b['upstreamPublicKey'], 'upstreamPublicKey', 16_384),
        sourceAddress: text(b['sourceAddress'], 'sourceAddress', 64),
        clientAddress: b['clientAddress'] === null ? null : text(b['clientAddress'], 'clientAddress', 64),
      });
      return grantJson(grant);
    });

    app.post('/v1/gateway/host-certificate', { onRequest }, async (request) => {
      const b = objectBody(request.body, ['names', 'publicKey']);
      const names = textList(b['names'], 'names', 16, 253) ?? [];
      if (names.length === 0) throw badRequest('ERR_BAD_REQUEST', 'names must name at least one host');
      const issued = await services.gateway.hostCertificate(names, text(b['publicKey'], 'publicKey', 16_384));
      return { certificate: issued.certificate, validBefore: issued.validBefore.toISOString() };
    });
  };
