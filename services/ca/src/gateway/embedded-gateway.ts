import { join } from 'node:path';
import { DEFAULT_GATEWAY_CONFIG, startGateway, type Gateway } from '@access/gateway';
import type { OpenedServices } from '../ca-services.ts';
import { explainingDatabaseOutages } from './database-outage.ts';
import type { CaConfig } from '../config.ts';

/**
 * Runs the recording gateway in this process, asking this CA directly: the quickstart's
 * one-process stack. Its requests go through the same checks the CA's gateway API makes.
 */
export async function startEmbeddedGateway(services: OpenedServices, config: CaConfig, log: (line: string) => void): Promise<Gateway> {
  if (!config.sshAddr) throw new Error('startEmbeddedGateway: no --ssh-addr');
  return startGateway({
    config: {
      ...DEFAULT_GATEWAY_CONFIG,
      sshAddr: config.sshAddr,
      names: config.gatewayNames,
      exclusiveDatabase: !config.databaseUrl,
      proxyProtocolFrom: config.proxyProtocolFrom,
      ...config.gatewayLimits,
      spoolDir: join(config.dataDir, 'spool'),
    },
    ca: explainingDatabaseOutages(services.gateway),
    db: services.database.db,
    audit: services.audit,
    listen: services.database.listen,
    clock: services.clock,
    log,
  });
}
