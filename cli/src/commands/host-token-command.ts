import type { Command } from 'commander';
import { print, printJson, type CliIo } from '../io.ts';
import { apiOptions, keyValues, signedIn, type ServerOption } from './command-context.ts';

interface TokenFlags extends ServerOption {
  json?: boolean;
  labels?: string;
  ttl?: string;
  name?: string;
}

/** `access hosts token`: a single-use join token and the one line that enrolls a server with it. */
export function registerHostTokenCommand(program: Command, io: CliIo): void {
  const hosts = program.commands.find((c) => c.name() === 'hosts');
  if (!hosts) throw new Error('register the hosts commands before "hosts token"');

  apiOptions(hosts.command('token'))
    .description('make a single-use join token that enrolls one server (needs admin)')
    .option('--labels <list>', 'labels the server gets: KEY=VALUE pairs separated by commas, e.g. env=prod,team=web')
    .option('--ttl <duration>', 'how long the token may be used: at most 24h', '1h')
    .option('--name <host>', 'the only name the server may enroll under')
    .action(async (o: TokenFlags) => {
      const labels = Object.fromEntries(keyValues(o.labels ? [o.labels] : [], '--labels'));
      const created = await signedIn(io, o).api.hosts.joinToken({ labels, ttl: o.ttl, ...(o.name ? { name: o.name } : {}) });
      if (o.json) return printJson(io, created);
      const say = print(io);
      say(`join token (single use, until ${created.expiresAt}; shown once):`);
      say(created.token);
      say('');
      say('run this on the server as root:');
      say(`  ${created.command}`);
      say('or, to keep the token out of the process list:');
      say(`  curl -fsS ${created.scriptUrl} | ACCESS_JOIN_TOKEN=${created.token} sh`);
    });
}
