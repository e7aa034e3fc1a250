import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type DatabaseKind } from '@access/db';
import type { FastifyInstance } from 'fastify';
import { openServices, type OpenedServices } from '../ca-services.ts';
import { loadConfig, type CaConfig } from '../config.ts';
import { buildApp } from '../http/app.ts';
import type { RelyingParty } from '../oidc/relying-party.ts';

export interface TestCa {
  config: CaConfig;
  services: OpenedServices;
  app: FastifyInstance;
  adminToken: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A CA with fresh keys in a temporary data directory, on an empty database of the given
 * kind, with an admin token. `env` adds settings (ACCESS_USER_CERT_MAX_TTL, …).
 */
export async function createTestCa(
  kind: DatabaseKind,
  env: NodeJS.ProcessEnv = {},
  clock?: () => Date,
  options: { relyingParty?: RelyingParty | undefined } = {},
): Promise<TestCa> {
  const dataDir = mkdtempSync(join(tmpdir(), 'access-ca-test-'));
  let databaseUrl: string | undefined;
  let dropDatabase = async () => undefined as void;
  if (kind === 'postgres') {
    const database = await createTestDatabase('postgres');
    databaseUrl = database.url;
    // The CA opens its own pool on this URL; this handle only creates and later drops it.
    await database.db.destroy();
    dropDatabase = () => database.close();
  }
  const config = loadConfig({ dataDir, databaseUrl }, env);
  const services = await openServices(config, { initKeysIfMissing: true, clock, relyingParty: options.relyingParty });
  const app = await buildApp(services);
  const { token } = await services.tokens.create({ role: 'admin', description: 'test admin' }, { kind: 'system', id: 'test' });
  return {
    config,
    services,
    app,
    adminToken: token,
    dataDir,
    close: async () => {
      await app.close();
      await services.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
