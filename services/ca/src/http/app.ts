import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { isTransientDatabaseError } from '@access/db';
import { parseProxySources } from '@access/gateway';
import { AccessError, DATABASE_UNAVAILABLE } from '../errors.ts';
import { caRoutes } from './routes/ca-routes.ts';
import { certRoutes } from './routes/cert-routes.ts';
import { grantRoutes } from './routes/grant-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { loginRoutes } from './routes/login-routes.ts';
import { hostRoutes } from './routes/host-routes.ts';
import { meRoutes } from './routes/me-routes.ts';
import { revocationRoutes } from './routes/revocation-routes.ts';
import { roleRoutes } from './routes/role-routes.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { auditExportRoutes } from './routes/audit-export-routes.ts';
import { sessionRoutes } from './routes/session-routes.ts';
import { gatewayRoutes } from './routes/gateway-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { enrollRoutes } from './routes/enroll-routes.ts';
import { refuseNulCharacters } from './nul-guard.ts';
import type { CaServices } from './services.ts';
import { uiRoutes } from '../ui/ui-routes.ts';

export interface AppOptions {
  /** fastify's logger option: false in tests, pino settings in the server. */
  logger?: boolean | { level: string };
}

/** Builds the CA's HTTP app without listening; tests call `app.inject()`. */
export async function buildApp(services: CaServices, options: AppOptions = {}): Promise<FastifyInstance> {
  // Only the proxies named in ACCESS_TRUST_PROXY_FROM may say who the client is; by default
  // the peer address is the client and X-Forwarded-For is ignored.
  const proxies = parseProxySources(services.config.trustProxyFrom, 'ACCESS_TRUST_PROXY_FROM');
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: services.config.bodyLimit,
    trustProxy: services.config.trustProxyFrom.length > 0 ? (address: string) => proxies.trusts(address) : false,
  });
  app.decorateRequest('caller', null);
  app.decorateRequest('ui', null);
  // The API speaks JSON only; anything else is refused with 415 before a handler sees it.
  app.removeContentTypeParser('text/plain');
  // PostgreSQL cannot store a NUL character: one anywhere in a request is a 400 for every route.
  app.addHook('preValidation', refuseNulCharacters);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.count('access_ca_http_requests_total', { route, status: String(reply.statusCode) });
    services.metrics.observe('access_ca_http_request_duration_seconds', { route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error: FastifyError | AccessError, request, reply) => {
    let refusal: AccessError;
    if (error instanceof AccessError) {
      refusal = error;
    } else if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      refusal = new AccessError(error.code ?? 'ERR_BAD_REQUEST', error.statusCode, error.message);
      // A body refused by fastify itself (too large, not JSON) never reached the authority: audit it here.
      const route = request.routeOptions.url ?? '';
      const certType = route === '/v1/certs/user' ? 'user' : route === '/v1/certs/host' ? 'host' : null;
      if (certType) {
        const actor = request.caller?.actor ?? { kind: 'anonymous' as const, id: 'anonymous' };
        await services.authority.refuse(certType, refusal, { actor, remote: request.ip }).catch(() => undefined);
      }
    } else if (isTransientDatabaseError(error)) {
      request.log.error({ err: error }, 'request failed: the database is unreachable');
      refusal = new AccessError('ERR_DATABASE_UNAVAILABLE', 503, DATABASE_UNAVAILABLE);
    } else {
      request.log.error({ err: error }, 'request failed');
      refusal = new AccessError('ERR_INTERNAL', 500, 'internal error; the CA log has the details');
    }
    if (refusal.status >= 500 && error instanceof AccessError) request.log.error({ err: error.cause ?? error }, 'request failed');
    // An AccessError's message is written to be shown (503 login not configured, 502 IdP unreachable); only internal errors are hidden.
    const message = refusal.code === 'ERR_INTERNAL' ? 'internal error; the CA log has the details' : refusal.message;
    return reply.status(refusal.status).send({ error: { code: refusal.code, message } });
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  await app.register(healthRoutes(services));
  await app.register(caRoutes(services));
  await app.register(certRoutes(services));
  await app.register(revocationRoutes(services));
  await app.register(loginRoutes(services));
  await app.register(meRoutes(services));
  await app.register(roleRoutes(services));
  await app.register(grantRoutes(services));
  await app.register(hostRoutes(services));
  await app.register(userRoutes(services));
  await app.register(sessionRoutes(services));
  await app.register(auditRoutes(services));
  await app.register(auditExportRoutes(services));
  await app.register(gatewayRoutes(services));
  await app.register(enrollRoutes(services));
  await app.register(uiRoutes(services));
  return app;
}
