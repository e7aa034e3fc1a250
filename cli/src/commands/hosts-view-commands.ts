import type { Command } from 'commander';
import { ensureHomeDir, replaceFiles } from '../home/access-home.ts';
import { labelsText, listText, table } from '../format/table.ts';
import { printJson, say, type CliIo } from '../io.ts';
import { renderSshConfig } from '../ssh/ssh-config.ts';
import { apiOptions, notLoggedIn, signedIn, type ServerOption } from './command-context.ts';

/** `access ls` and `access config`: the hosts this person may reach, as a table and as ssh_config. */
export function registerHostsViewCommands(program: Command, io: CliIo): void {
  apiOptions(program.command('ls'))
    .description('list the hosts you may reach, with the logins you may use on each')
    .action(async (o: ServerOption & { json?: boolean }) => {
      const hosts = await signedIn(io, o).api.myHosts();
      if (o.json) return printJson(io, hosts);
      if (hosts.length === 0) return say(io)('No hosts: your grants reach no host yet. Ask an admin, or see "access status" for your roles.');
      io.stdout.write(table(['NAME', 'ADDRESS', 'LABELS', 'LOGINS'], hosts.map((h) => [h.name, h.address, labelsText(h.labels), listText(h.logins)])));
    });

  program
    .command('config')
    .description('rewrite <ACCESS_HOME>/ssh_config from the hosts you may reach now, and print it')
    .option('--server <url>', 'the access server (env ACCESS_SERVER; default: the one you logged in to)')
    .option('--direct', 'targets are reached without the gateway: no ProxyJump (env ACCESS_DIRECT=1; default: as at login)')
    .action(async (o: ServerOption & { direct?: boolean }) => {
      const { home, session, api } = signedIn(io, o);
      // ssh_config needs the gateway address and the certificate files, which only a login gives.
      if (!session) throw notLoggedIn();
      const hosts = await api.myHosts();
      const direct = Boolean(o.direct) || io.env['ACCESS_DIRECT'] === '1' || session.direct;
      const text = renderSshConfig({ home, hosts, gateway: session.gateway, direct });
      ensureHomeDir(home);
      replaceFiles([{ path: home.sshConfig, content: text, mode: 0o644 }]);
      io.stdout.write(text);
    });
}
