import type { FastifyInstance } from 'fastify';
import { openServices, type OpenedServices } from './ca-services.ts';
import type { CaConfig } from './config.ts';
import { buildApp } from './http/app.ts';
import { createRelyingParty, type RelyingParty } from './oidc/relying-party.ts';
import { readSecretFile } from './oidc/secret-file.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: OpenedServices;
  url: string;
  close(): Promise<void>;
}

/** Opens the database and keys, builds the app and listens on the configured address. */
export async function startServer(
  config: CaConfig,
  options: { say: (line: string) => void; logLevel?: string; relyingParty?: RelyingParty | undefined },
): Promise<RunningServer> {
  const relyingParty = options.relyingParty ?? relyingPartyFromConfig(config);
  const services = await openServices(config, { initKeysIfMissing: true, say: options.say, relyingParty });
  let app: FastifyInstance;
  try {
    app = await buildApp(services, { logger: { level: options.logLevel ?? 'warn' } });
    await app.listen({ host: config.httpHost, port: config.httpPort });
  } catch (error) {
    await services.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
  return {
    app,
    services,
    url: `http://${host}:${port}`,
    close: async () => {
      await app.close();
      await services.close();
    },
  };
}

/** The company IdP from ACCESS_OIDC_*, its client secret read from its file now; null when login is not configured. */
export function relyingPartyFromConfig(config: CaConfig): RelyingParty | null {
  if (!config.oidc) return null;
  const { clientSecretFile, ...oidc } = config.oidc;
  return createRelyingParty({ ...oidc, clientSecret: readSecretFile(clientSecretFile) });
}
