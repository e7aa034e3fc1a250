import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseEnrollRequest, parseRenewRequest } from '../../enrollment/enroll-input.ts';
import { enrollCommand, enrollScript } from '../../enrollment/enroll-script.ts';
import { createEnrollment, type DryRunResult, type EnrollResult } from '../../enrollment/enrollment.ts';
import { createRefusalLimiter, ENROLL_REFUSALS_PER_MINUTE } from '../refusal-limiter.ts';
import { AccessError } from '../../errors.ts';
import { scriptResponse } from '../../enrollment/script-response.ts';
import { requireCaller } from '../caller.ts';
import type { CaServices } from '../services.ts';
import { duration, objectBody, optionalText, plainObject, queryParams } from './request-input.ts';

/**
 * Server enrollment. `POST /v1/hosts/tokens` (admin) makes a single-use join token;
 * `GET /enroll.sh` serves the script; `POST /v1/enroll` (the token is the credential) and
 * `POST /v1/enroll/renew` (a signature by an enrolled host key is) answer it.
 */
export const enrollRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    const { config } = services;
    const enrollment = createEnrollment({
      db: services.database.db,
      audit: services.audit,
      authority: services.authority,
      keyring: services.keyring,
      limits: { userCertMaxTtl: config.userCertMaxTtl, hostCertMaxTtl: config.hostCertMaxTtl, clockSkew: config.clockSkew, forbiddenPrincipals: config.forbiddenPrincipals },
      publicUrl: config.publicUrl,
      clock: services.clock,
    });
    const script = enrollScript(config.publicUrl);
    const limiter = createRefusalLimiter({ perMinute: ENROLL_REFUSALS_PER_MINUTE, clock: services.clock });

    // Read before the request is acted on: a bad query string must not cost a host its single-use token.
    const formatOf = (query: unknown) => queryParams(query, ['format'])['format']?.[0] ?? 'json';
    const answer = (reply: FastifyReply, format: string, status: number, result: EnrollResult | DryRunResult) => {
      if (format === 'text') return reply.status(status).type('text/plain; charset=utf-8').send(scriptResponse(result));
      return reply.status(status).send(result);
    };

    /**
     * A public route answering a host: refused at once while its address is over its
     * refusals (each a 4xx counts one); otherwise the query and body are read first (a
     * refusal there is audited and changes nothing), then `act` decides.
     */
    const publicRoute =
      <P>(step: 'enroll' | 'renew', parse: (body: unknown) => P, act: (parsed: P, remote: string) => Promise<{ status: number; result: EnrollResult | DryRunResult }>) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        if (limiter.blocked(request.ip)) {
          throw new AccessError('ERR_RATE_LIMITED', 429, `too many refused enrollments from this address (at most ${ENROLL_REFUSALS_PER_MINUTE} a minute); wait a minute, and check the join token or the host's enrollment`);
        }
        try {
          let parsed: P;
          let format: string;
          try {
            format = formatOf(request.query);
            parsed = parse(request.body);
          } catch (error) {
            return await enrollment.refuse(error, step, request.ip);
          }
          const { status, result } = await act(parsed, request.ip);
          return answer(reply, format, status, result);
        } catch (error) {
          if (error instanceof AccessError && error.status >= 400 && error.status < 500) limiter.refused(request.ip);
          throw error;
        }
      };

    app.post('/v1/hosts/tokens', { onRequest: requireCaller(services, 'admin') }, async (request, reply) => {
      const b = objectBody(request.body, ['labels', 'ttl', 'name']);
      const created = await enrollment.createToken(
        { labels: plainObject(b['labels'], 'labels', 64) as Record<string, string> | undefined, ttl: duration(b['ttl'], 'ttl'), name: optionalText(b['name'], 'name', 253) },
        request.caller!.actor,
      );
      return reply.status(201).send({ ...created, expiresAt: created.expiresAt.toISOString(), scriptUrl: `${config.publicUrl}/enroll.sh`, command: enrollCommand(config.publicUrl, created.token) });
    });

    app.get('/enroll.sh', async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').headers({ 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(await script()),
    );

    app.post(
      '/v1/enroll',
      publicRoute('enroll', parseEnrollRequest, async (parsed, remote) => {
        const result = await enrollment.enroll(parsed, remote);
        return { status: 'dryRun' in result ? 200 : 201, result };
      }),
    );
    app.post(
      '/v1/enroll/renew',
      publicRoute('renew', parseRenewRequest, async (parsed, remote) => ({ status: 200, result: await enrollment.renew(parsed, remote) })),
    );
  };
