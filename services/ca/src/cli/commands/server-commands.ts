import { Option, type Command } from 'commander';
import { openStore } from '../../ca-services.ts';
import { DEFAULT_DEV_IDP_ADDR, DEFAULT_DEV_PASSWORD, seedDevData, startDevIdentity, type DevIdentity } from '../../dev/dev-mode.ts';
import { gatewayLimits, proxySources } from '../../config.ts';
import { startServer } from '../../server.ts';
import { addGatewayLimitOptions } from '../gateway-limit-options.ts';
import { configFrom, say, type CliIo, type GlobalOptions } from '../io.ts';

export function registerServerCommands(program: Command, io: CliIo): void {
  const start = program
    .command('start')
    .description('run the CA: HTTP API, key publication and revocation list (creates CA keys on first start)')
    .option('--http-addr <host:port>', 'where the HTTP API listens (env ACCESS_HTTP_ADDR)', undefined)
    .addOption(new Option('--log-level <level>', 'log level (info logs every request)').choices(['fatal', 'error', 'warn', 'info', 'debug']).default('warn'))
    .option('--ssh-addr <host:port>', 'where the recording gateway listens for ssh (env ACCESS_SSH_ADDR; default 127.0.0.1:3022)')
    .option('--no-gateway', 'run the CA alone, without the recording gateway')
    .option('--proxy-protocol-from <addresses>', "load balancers (comma-separated addresses, CIDRs) whose connections to the gateway start with a PROXY protocol header (env ACCESS_PROXY_PROTOCOL_FROM; default: off)")
    .option('--dev', 'development mode: a built-in identity provider with demo users and demo grants (loopback only; never in production)')
    .option('--dev-idp-addr <host:port>', 'where the development identity provider listens (with --dev)', DEFAULT_DEV_IDP_ADDR)
    .action(async (options: { httpAddr?: string; sshAddr?: string; proxyProtocolFrom?: string; gateway: boolean; logLevel: string; dev?: boolean; devIdpAddr: string }, command: Command) => {
      const config = configFrom(command.optsWithGlobals<GlobalOptions>(), io, options.httpAddr, options.gateway ? options.sshAddr : false);
      if (options.proxyProtocolFrom !== undefined) config.proxyProtocolFrom = proxySources(options.proxyProtocolFrom);
      config.gatewayLimits = gatewayLimits(command.opts(), io.env);
      const tell = say(io);
      tell(`access-server: data directory ${config.dataDir}`);
      let dev: DevIdentity | undefined;
      if (options.dev) {
        if (config.oidc) tell('access-server: --dev: ignoring ACCESS_OIDC_* and using the development identity provider');
        dev = await startDevIdentity(config, { idpAddr: options.devIdpAddr, password: io.env['ACCESS_DEV_PASSWORD'] || DEFAULT_DEV_PASSWORD, log: tell });
      }
      let server;
      try {
        server = await startServer(config, { say: tell, logLevel: options.logLevel, relyingParty: dev?.relyingParty });
        if (dev) for (const line of await seedDevData(server.services.identity)) tell(`access-server: --dev: created ${line}`);
      } catch (error) {
        await server?.close();
        await dev?.close();
        throw error;
      }
      tell(`access-server: database ${server.services.database.describe}`);
      tell(`access-server: listening on ${server.url}`);
      if (server.gateway) {
        const a = server.gateway.address();
        tell(`access-server: recording gateway listening for ssh on ${a.host}:${a.port} (engineers dial ${config.gateway.host}:${config.gateway.port})`);
      }
      tell(`  CA public keys:   curl ${server.url}/v1/ca`);
      tell(`  revocation list:  curl -o revoked.krl ${server.url}/v1/krl`);
      if (dev) {
        tell(`access-server: DEVELOPMENT MODE: identity provider ${dev.idp.issuer} (demo users, shared password; not for production)`);
        tell(`  demo users:       alice@example.com (admin, engineer), bob@example.com (engineer), carol@example.com (auditor)`);
        tell(`  password:         ${dev.password}${io.env['ACCESS_DEV_PASSWORD'] ? ' (from ACCESS_DEV_PASSWORD)' : ' (set ACCESS_DEV_PASSWORD to change it)'}`);
        tell(`  next:             access login --server ${config.publicUrl}`);
        tell(`                    access login --server ${config.publicUrl} --headless   (no browser on this machine)`);
      } else {
        tell(config.oidc ? `  login:            access login --server ${config.publicUrl}` : '  login:            off (set ACCESS_OIDC_ISSUER, or try access-server start --dev)');
      }
      tell(`  an API token:     stop the server, then: access-server token create --role admin`);
      const signal = await io.stopSignal();
      tell(`access-server: ${signal}, shutting down`);
      await server.close();
      await dev?.close();
    });
  addGatewayLimitOptions(start);

  program
    .command('migrate')
    .description('apply pending database migrations and exit (start does this too)')
    .action(async (_options: unknown, command: Command) => {
      const store = await openStore(configFrom(command.optsWithGlobals<GlobalOptions>(), io), { say: say(io) });
      try {
        io.stdout.write(`database ${store.database.describe} is up to date\n`);
      } finally {
        await store.close();
      }
    });
}
