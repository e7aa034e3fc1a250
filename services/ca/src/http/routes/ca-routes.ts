import type { FastifyPluginAsync } from 'fastify';
import type { CaServices } from '../services.ts';

/**
 * Public by design: CA public keys and the revocation list are what every client and
 * server must be able to fetch (sshd hosts fetch the KRL with plain curl). Nothing here is
 * secret and nothing here changes state.
 */
export const caRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    app.get('/v1/ca', async () => {
      const keys = await services.keyring.published();
      const of = (kind: string) =>
        keys.filter((k) => k.kind === kind).map((k) => ({ publicKey: k.publicKey, fingerprint: k.fingerprint, createdAt: k.createdAt.toISOString() }));
      return {
        user: of('user'),
        host: of('host'),
        upstream: of('upstream'),
        knownHosts: of('host').map((k) => `@cert-authority * ${k.publicKey}\n`).join(''),
        trustedUserCaKeys: of('upstream').map((k) => `${k.publicKey}\n`).join(''),
      };
    });

    app.get('/v1/krl', async (_request, reply) => {
      const krl = await services.revocations.krl();
      return reply.type('application/octet-stream').header('cache-control', 'no-cache').send(krl);
    });
  };
