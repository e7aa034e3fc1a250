import { Option, type Command } from 'commander';
import { openStore } from '../../ca-services.ts';
import { startServer } from '../../server.ts';
import { configFrom, say, type CliIo, type GlobalOptions } from '../io.ts';

export function registerServerCommands(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('run the CA: HTTP API, key publication and revocation list (creates CA keys on first start)')
    .option('--http-addr <host:port>', 'where the HTTP API listens (env ACCESS_HTTP_ADDR)', undefined)
    .addOption(new Option('--log-level <level>', 'log level (info logs every request)').choices(['fatal', 'error', 'warn', 'info', 'debug']).default('warn'))
    .action(async (options: { httpAddr?: string; logLevel: string }, command: Command) => {
      const config = configFrom(command.optsWithGlobals<GlobalOptions>(), io, options.httpAddr);
      const tell = say(io);
      tell(`access-server: data directory ${config.dataDir}`);
      const server = await startServer(config, { say: tell, logLevel: options.logLevel });
      tell(`access-server: database ${server.services.database.describe}`);
      tell(`access-server: listening on ${server.url}`);
      tell(`  CA public keys:   curl ${server.url}/v1/ca`);
      tell(`  revocation list:  curl -o revoked.krl ${server.url}/v1/krl`);
      tell(`  an API token:     stop the server, then: access-server token create --role admin`);
      const signal = await io.stopSignal();
      tell(`access-server: ${signal}, shutting down`);
      await server.close();
    });

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
