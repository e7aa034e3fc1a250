import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { CaServices } from '../services.ts';

export const healthRoutes = (services: CaServices): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));

    app.get('/readyz', async (_request, reply) => {
      try {
        await sql`select 1`.execute(services.database.db);
        return { status: 'ready', database: services.database.kind };
      } catch {
        return reply.status(503).send({ status: 'unavailable', database: services.database.kind });
      }
    });

    app.get('/metrics', async (_request, reply) =>
      reply.type('text/plain; version=0.0.4').send(services.metrics.render()),
    );
  };
