import type { Command } from 'commander';
import type { Permissions, Role, RoleChange } from '../api-types.ts';
import { CliError } from '../errors.ts';
import { formatDuration } from '../format/duration.ts';
import { listText, table } from '../format/table.ts';
import { print, printJson, type CliIo } from '../io.ts';
import { apiOptions, keyValues, list, signedIn, type ServerOption } from './command-context.ts';

interface RoleFlags extends ServerOption {
  json?: boolean;
  logins?: string;
  labels?: string;
  maxTtl?: string;
  description?: string;
  pty?: boolean;
  portForwarding?: boolean;
  agentForwarding?: boolean;
  fileTransfer?: boolean;
  x11?: boolean;
  capabilities?: string;
}

const PERMISSIONS = ['pty', 'portForwarding', 'agentForwarding', 'fileTransfer', 'x11'] as const;

/** `env=dev,env=staging,team=*` → `{ env: ['dev', 'staging'], team: ['*'] }`. */
function hostLabels(value: string): Record<string, string[]> {
  const selector: Record<string, string[]> = {};
  for (const [k, v] of keyValues([value], '--labels')) (selector[k] ??= []).push(v);
  return selector;
}

const selectorText = (s: Record<string, string[]>) => Object.entries(s).map(([k, v]) => `${k}=${v.join('|')}`).join(',') || '-';
const permissionsText = (p: Permissions) => PERMISSIONS.filter((k) => p[k]).join(',') || '-';

function roleFlags(command: Command): Command {
  return apiOptions(command)
    .option('--logins <list>', 'comma-separated logins: literal (deploy) or {{email.local}} for each person\'s own login')
    .option('--labels <list>', 'hosts the role reaches: KEY=VALUE pairs, VALUE may be *; repeat a key for several values')
    .option('--max-ttl <duration>', 'longest certificate the role allows, e.g. 8h')
    .option('--description <text>', 'what the role is for')
    .option('--pty', 'allow an interactive terminal').option('--no-pty', 'forbid it (update)')
    .option('--port-forwarding', 'allow port forwarding').option('--no-port-forwarding', 'forbid it (update)')
    .option('--agent-forwarding', 'allow ssh-agent forwarding').option('--no-agent-forwarding', 'forbid it (update)')
    .option('--file-transfer', 'allow scp and sftp').option('--no-file-transfer', 'forbid it (update)')
    .option('--x11', 'allow X11 forwarding').option('--no-x11', 'forbid it (update)')
    .option('--capabilities <list>', 'comma-separated: admin (manage access), audit (read the audit log and sessions)');
}

/** The fields the flags set; permissions only where a flag was given (update merges them). */
function changeFrom(o: RoleFlags): RoleChange & { permissionFlags: Permissions } {
  const permissionFlags: Permissions = {};
  for (const k of PERMISSIONS) if (o[k] !== undefined) permissionFlags[k] = o[k];
  return {
    ...(o.logins !== undefined ? { logins: list(o.logins) } : {}),
    ...(o.labels !== undefined ? { hostLabels: hostLabels(o.labels) } : {}),
    ...(o.maxTtl !== undefined ? { maxTtl: o.maxTtl } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.capabilities !== undefined ? { capabilities: list(o.capabilities) } : {}),
    permissionFlags,
  };
}

function show(io: CliIo, role: Role, json?: boolean): void {
  if (json) return printJson(io, role);
  const out = print(io);
  out(`${role.name}${role.description ? `: ${role.description}` : ''}`);
  out(`  logins:       ${listText(role.logins)}`);
  out(`  host labels:  ${selectorText(role.hostLabels)}`);
  out(`  max ttl:      ${formatDuration(role.maxTtl)}`);
  out(`  permissions:  ${permissionsText(role.permissions)}`);
  out(`  capabilities: ${listText(role.capabilities)}`);
}

export function registerRoleCommands(program: Command, io: CliIo): void {
  const roles = program.command('roles').description('roles: which logins, on which hosts (by label), for how long, with which SSH features');

  apiOptions(roles.command('ls')).description('list roles').action(async (o: RoleFlags) => {
    const all = await signedIn(io, o).api.roles.list();
    if (o.json) return printJson(io, all);
    const rows = all.map((r) => [r.name, listText(r.logins), selectorText(r.hostLabels), formatDuration(r.maxTtl), permissionsText(r.permissions), listText(r.capabilities)]);
    io.stdout.write(table(['NAME', 'LOGINS', 'HOST LABELS', 'MAX TTL', 'PERMISSIONS', 'CAPABILITIES'], rows));
  });

  apiOptions(roles.command('show <name>')).description('show one role').action(async (name: string, o: RoleFlags) => {
    show(io, await signedIn(io, o).api.roles.get(name), o.json);
  });

  roleFlags(roles.command('create <name>')).description('create a role (needs the admin capability)').action(async (name: string, o: RoleFlags) => {
    const { permissionFlags, ...fields } = changeFrom(o);
    if (fields.maxTtl === undefined) throw new CliError('ERR_USAGE', 'roles create needs --max-ttl, the longest certificate the role allows (e.g. --max-ttl 8h)');
    const input = { logins: [], hostLabels: {}, ...fields, name, maxTtl: fields.maxTtl, permissions: permissionFlags };
    show(io, await signedIn(io, o).api.roles.create(input), o.json);
  });

  roleFlags(roles.command('update <name>')).description('change a role: only the fields given (needs admin)').action(async (name: string, o: RoleFlags) => {
    const { api } = signedIn(io, o);
    const { permissionFlags, ...change } = changeFrom(o);
    // Permissions are sent whole, merged with the current ones, so one flag changes one feature.
    const permissions = Object.keys(permissionFlags).length ? { permissions: { ...(await api.roles.get(name)).permissions, ...permissionFlags } } : {};
    show(io, await api.roles.update(name, { ...change, ...permissions }), o.json);
  });

  apiOptions(roles.command('rm <name>')).description('delete a role (needs admin)').action(async (name: string, o: RoleFlags) => {
    await signedIn(io, o).api.roles.remove(name);
    if (o.json) printJson(io, { removed: name });
    else print(io)(`removed role ${name}`);
  });
}
