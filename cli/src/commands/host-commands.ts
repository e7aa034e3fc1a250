import type { Command } from 'commander';
import type { Host } from '../api-types.ts';
import { labelsText, table } from '../format/table.ts';
import { print, printJson, type CliIo } from '../io.ts';
import { apiOptions, keyValues, list, signedIn, type ServerOption } from './command-context.ts';

interface HostFlags extends ServerOption {
  json?: boolean;
  addr?: string;
  labels?: string;
  label?: string[];
  remove?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const labelsOf = (values: readonly string[], what: string) => Object.fromEntries(keyValues(values, what));
const describe = (h: Host) => `${h.name}  ${h.address}  ${labelsText(h.labels)}`;

export function registerHostCommands(program: Command, io: CliIo): void {
  const hosts = program.command('hosts').description('hosts: the targets the gateway may reach, with the labels roles select them by');

  apiOptions(hosts.command('ls'))
    .description('list hosts (needs the audit capability)')
    .option('--label <key=value>', 'only hosts with this label (repeatable)', collect)
    .action(async (o: HostFlags) => {
      const all = await signedIn(io, o).api.hosts.list(o.label ?? []);
      if (o.json) return printJson(io, all);
      io.stdout.write(table(['NAME', 'ADDRESS', 'LABELS'], all.map((h) => [h.name, h.address, labelsText(h.labels)])));
    });

  apiOptions(hosts.command('add <name>'))
    .description('add a host (needs admin)')
    .requiredOption('--addr <host:port>', 'where the gateway dials it, e.g. 10.0.0.5:22')
    .option('--labels <list>', 'KEY=VALUE pairs separated by commas, e.g. env=dev,team=web')
    .action(async (name: string, o: HostFlags) => {
      const host = await signedIn(io, o).api.hosts.add({ name, address: o.addr!, labels: labelsOf(o.labels ? [o.labels] : [], '--labels') });
      if (o.json) printJson(io, host);
      else print(io)(`added ${describe(host)}`);
    });

  apiOptions(hosts.command('label <name> [pairs...]'))
    .description('set labels (KEY=VALUE ...) and remove others (--remove KEY) on a host (needs admin)')
    .option('--remove <keys>', 'label keys to remove, comma-separated (repeatable)', collect)
    .action(async (name: string, pairs: string[], o: HostFlags) => {
      const { api } = signedIn(io, o);
      const current = await api.hosts.get(name);
      const labels: Record<string, string> = { ...current.labels, ...labelsOf(pairs, 'labels') };
      for (const key of (o.remove ?? []).flatMap((r) => list(r))) delete labels[key];
      const host = await api.hosts.update(name, { labels });
      if (o.json) printJson(io, host);
      else print(io)(`labelled ${describe(host)}`);
    });

  apiOptions(hosts.command('rm <name>'))
    .description('remove a host (needs admin)')
    .action(async (name: string, o: HostFlags) => {
      await signedIn(io, o).api.hosts.remove(name);
      if (o.json) printJson(io, { removed: name });
      else print(io)(`removed host ${name}`);
    });
}
