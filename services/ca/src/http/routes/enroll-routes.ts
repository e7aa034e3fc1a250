import type { FastifyPluginAsync, FastifyReply } from 'fastify';
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
    /** Runs a public enrollment route for `address`: refused at once while it is over its refusals, and counts a refusal (a 4xx) against it. */
    const limited = async <T>(address: string, handle: () => Promise<T>): Promise<T> => {
      if (limiter.blocked(address)) {
        throw new AccessError('ERR_RATE_LIMITED', 429, `too many refused enrollments from this address (at most ${ENROLL_REFUSALS_PER_MINUTE} a minute); wait a minute, and check the join token or the host's enrollment`);
      }
      try {
        return await handle();
      } catch (error) {
        if (error instanceof AccessError && error.status >= 400 && error.status < 500) limiter.refused(address);
        throw error;
      }
    };

    // Read before the request is acted on: a bad query string must not cost a host its single-use token.
    const formatOf = (query: unknown) => queryParams(query, ['format'])['format']?.[0] ?? 'json';
    const answer = (reply: FastifyReply, format: string, status: number, result: EnrollResult | DryRunResult) => {
      if (format === 'text') return reply.status(status).type('text/plain; charset=utf-8').send(scriptResponse(result));
      return reply.status(status).send(result);
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

    app.post('/v1/enroll', async (request, reply) =>
      limited(request.ip, async () => {
        let parsed;
        let format;
        try {
          format = formatOf(request.query);
          parsed = parseEnrollRequest(request.body);
        } catch (error) {
          return enrollment.refuse(error, 'enroll', request.ip);
        }
        const result = await enrollment.enroll(parsed, request.ip);
        return answer(reply, format, 'dryRun' in result ? 200 : 201, result);
      }),
    );

    app.post('/v1/enroll/renew', async (request, reply) =>
      limited(request.ip, async () => {
        let parsed;
        let format;
        try {
          format = formatOf(request.query);
          parsed = parseRenewRequest(request.body);
        } catch (error) {
          return enrollment.refuse(error, 'renew', request.ip);
        }
        return answer(reply, format, 200, await enrollment.renew(parsed, request.ip));
      }),
    );
  };
