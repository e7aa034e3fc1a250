import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createAuditLog } from '@access/audit';
import { describeListenerEvent, openDatabase } from '@access/db';
import { createHttpGatewayCa, DEFAULT_GATEWAY_CONFIG, startGateway } from '@access/gateway';
import { advertisedGateway, ConfigError, DEFAULT_GATEWAY_ADDR, gatewayLimits, parseHostPort, proxySources } from '../../config.ts';
import { addGatewayLimitOptions } from '../gateway-limit-options.ts';
import { readSecretFile } from '../../oidc/secret-file.ts';
import { say, type CliIo, type GlobalOptions } from '../io.ts';

interface GatewayFlags {
  caUrl?: string;
  sshAddr?: string;
  tokenFile?: string;
  proxyProtocolFrom?: string;
}

/**
 * `access-server gateway`: a recording gateway apart from the CA, for running several behind
 * a TCP load balancer. It holds no CA key: it asks the CA over HTTP with a gateway token,
 * and records to the PostgreSQL database the CA uses.
 */
export function registerGatewayCommand(program: Command, io: CliIo): void {
  const gatewayCommand = program
    .command('gateway')
    .description('run a recording gateway apart from the CA (asks the CA over HTTP; records to the shared PostgreSQL database)')
    .option('--ca-url <url>', 'the CA, e.g. https://access.example.com (env ACCESS_CA_URL)')
    .option('--ssh-addr <host:port>', `where engineers connect (env ACCESS_SSH_ADDR; default ${DEFAULT_GATEWAY_ADDR})`)
    .option('--token-file <path>', 'a 0600 file holding a token from "access-server token create --role gateway" (default: the gateway-token systemd credential)')
    .option('--proxy-protocol-from <addresses>', 'load balancers (comma-separated addresses, CIDRs) whose connections start with a PROXY protocol v1/v2 header naming the client (env ACCESS_PROXY_PROTOCOL_FROM; default: off)')
    .action(async (flags: GatewayFlags, command: Command) => {
      const tell = say(io);
      const globals = command.optsWithGlobals<GlobalOptions>();
      const databaseUrl = globals.databaseUrl ?? io.env['ACCESS_DATABASE_URL'];
      if (!databaseUrl) throw new ConfigError('a separate gateway records to the CA\'s PostgreSQL database: give --database-url (the embedded database belongs to one process)');
      const caUrl = flags.caUrl ?? io.env['ACCESS_CA_URL'];
      if (!caUrl || !/^https?:\/\//.test(caUrl)) throw new ConfigError('give the CA\'s URL with --ca-url https://… (or ACCESS_CA_URL)');
      const credentials = io.env['CREDENTIALS_DIRECTORY'];
      const tokenFile = flags.tokenFile ?? (credentials ? join(credentials, 'gateway-token') : undefined);
      if (!tokenFile) throw new ConfigError('give --token-file with a token from "access-server token create --role gateway" (tokens are never read from the environment)');
      const token = readSecretFile(tokenFile).trim();
      const sshAddr = parseHostPort(flags.sshAddr ?? io.env['ACCESS_SSH_ADDR'] ?? DEFAULT_GATEWAY_ADDR, '--ssh-addr');
      const { names } = advertisedGateway(io.env, sshAddr);
      const proxyProtocolFrom = proxySources(flags.proxyProtocolFrom ?? io.env['ACCESS_PROXY_PROTOCOL_FROM']);
      const limits = gatewayLimits(command.opts(), io.env);

      // Recordings wait here while the database is unreachable (0700; never shared by two running gateways).
      const spoolDir = join(resolve(globals.dataDir ?? io.env['ACCESS_DATA_DIR'] ?? '.access-data'), 'spool');
      const database = await openDatabase({
        url: databaseUrl,
        onPoolError: (error) => tell(`access-gateway: lost a database connection (it is replaced on the next query): ${error.message}`),
        onListenerEvent: (event) => tell(`access-gateway: ${describeListenerEvent(event)}`),
      });
      const clock = () => new Date();
      try {
        tell(`access-gateway: asking the CA at ${caUrl}`);
        const gateway = await startGateway({
          config: { ...DEFAULT_GATEWAY_CONFIG, sshAddr, names, exclusiveDatabase: false, proxyProtocolFrom, spoolDir, ...limits },
          ca: createHttpGatewayCa({ url: caUrl, token }),
          db: database.db,
          audit: createAuditLog(database.db, clock),
          listen: database.listen,
          clock,
          log: (line) => tell(`access-gateway: ${line}`),
        });
        const a = gateway.address();
        tell(`access-gateway: ${gateway.gatewayId} listening for ssh on ${a.host}:${a.port} (host certificate names: ${names.join(', ')})`);
        if (proxyProtocolFrom.length) tell(`access-gateway: reading PROXY protocol headers from ${proxyProtocolFrom.join(', ')} only`);
        const signal = await io.stopSignal();
        tell(`access-gateway: ${signal}, ending sessions and shutting down`);
        await gateway.close();
      } finally {
        await database.close();
      }
    });
  addGatewayLimitOptions(gatewayCommand);
}
