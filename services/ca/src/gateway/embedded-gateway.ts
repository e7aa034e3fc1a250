import { DEFAULT_GATEWAY_CONFIG, startGateway, type Gateway } from '@access/gateway';
import type { OpenedServices } from '../ca-services.ts';
import type { CaConfig } from '../config.ts';
import { createGatewayAuthority } from './gateway-authority.ts';

/** Seconds a host certificate the gateway presents (its own, or a target's) is valid; renewed at half-life. */
const GATEWAY_HOST_CERT_TTL = 3600;

/**
 * Runs the recording gateway in this process, asking this CA directly: the quickstart's
 * one-process stack. Its requests go through the same checks the CA makes for everyone.
 */
export async function startEmbeddedGateway(services: OpenedServices, config: CaConfig, log: (line: string) => void): Promise<Gateway> {
  if (!config.sshAddr) throw new Error('startEmbeddedGateway: no --ssh-addr');
  const ca = createGatewayAuthority({
    db: services.database.db,
    audit: services.audit,
    keyring: services.keyring,
    authority: services.authority,
    clock: services.clock,
    upstreamTtl: config.upstreamCertTtl,
    hostCertTtl: GATEWAY_HOST_CERT_TTL,
    gatewayNames: config.gatewayNames,
  });
  return startGateway({
    config: { ...DEFAULT_GATEWAY_CONFIG, sshAddr: config.sshAddr, names: config.gatewayNames, exclusiveDatabase: !config.databaseUrl },
    ca,
    db: services.database.db,
    audit: services.audit,
    listen: (channel, onPayload) => services.database.listen(channel, onPayload),
    clock: services.clock,
    log,
  });
}
