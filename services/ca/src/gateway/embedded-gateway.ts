import { DEFAULT_GATEWAY_CONFIG, startGateway, type Gateway } from '@access/gateway';
import type { OpenedServices } from '../ca-services.ts';
import type { CaConfig } from '../config.ts';

/**
 * Runs the recording gateway in this process, asking this CA directly: the quickstart's
 * one-process stack. Its requests go through the same checks the CA's gateway API makes.
 */
export async function startEmbeddedGateway(services: OpenedServices, config: CaConfig, log: (line: string) => void): Promise<Gateway> {
  if (!config.sshAddr) throw new Error('startEmbeddedGateway: no --ssh-addr');
  return startGateway({
    config: { ...DEFAULT_GATEWAY_CONFIG, sshAddr: config.sshAddr, names: config.gatewayNames, exclusiveDatabase: !config.databaseUrl, proxyProtocolFrom: config.proxyProtocolFrom },
    ca: services.gateway,
    db: services.database.db,
    audit: services.audit,
    listen: (channel, onPayload) => services.database.listen(channel, onPayload),
    clock: services.clock,
    log,
  });
}
