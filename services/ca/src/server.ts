import type { FastifyInstance } from 'fastify';
import { openServices, type OpenedServices } from './ca-services.ts';
import type { CaConfig } from './config.ts';
import type { Gateway } from '@access/gateway';
import { startEmbeddedGateway } from './gateway/embedded-gateway.ts';
import { buildApp } from './http/app.ts';
import { createRelyingParty, type RelyingParty } from './oidc/relying-party.ts';
import { readSecretFile } from './oidc/secret-file.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: OpenedServices;
  url: string;
  /** The recording gateway, unless the CA runs alone (--no-gateway). */
  gateway: Gateway | null;
  close(): Promise<void>;
}

/** Opens the database and keys, builds the app and listens on the configured address. */
export async function startServer(
  config: CaConfig,
  options: { say: (line: string) => void; logLevel?: string; relyingParty?: RelyingParty | undefined },
): Promise<RunningServer> {
  const relyingParty = options.relyingParty ?? relyingPartyFromConfig(config);
  const services = await openServices(config, { initKeysIfMissing: true, say: options.say, relyingParty });
  let app: FastifyInstance | undefined;
  let gateway: Gateway | null = null;
  try {
    app = await buildApp(services, { logger: { level: options.logLevel ?? 'warn' } });
    await app.listen({ host: config.httpHost, port: config.httpPort });
    if (config.sshAddr) gateway = await startEmbeddedGateway(services, config, (line) => options.say(`access-gateway: ${line}`));
  } catch (error) {
    await app?.close();
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
    gateway,
    close: async () => {
      await gateway?.close();
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
