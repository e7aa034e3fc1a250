import type { Command } from 'commander';
import { openStore, type Store } from '../../ca-services.ts';
import { formatDuration } from '../../duration.ts';
import { seedBuiltinRoles } from '../../identity/bootstrap.ts';
import { createIdentity, type Identity, type Role } from '../../identity/identity.ts';
import { cliActor, configFrom, say, type CliIo, type GlobalOptions } from '../io.ts';
import { CommandFailed } from '../run.ts';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

/** `env=dev,env=staging,team=*` → `{ env: ['dev', 'staging'], team: ['*'] }`; `*=*` is every host. */
export function parseLabelSelector(value: string): Record<string, string[]> {
  const selector: Record<string, string[]> = {};
  for (const pair of list(value)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new CommandFailed(`--labels takes KEY=VALUE pairs separated by commas (VALUE may be *), got "${pair}"`);
    (selector[pair.slice(0, eq)] ??= []).push(pair.slice(eq + 1));
  }
  return selector;
}

function describeRole(r: Role): string {
  const labels = Object.entries(r.hostLabels).map(([k, v]) => `${k}=${v.join('|')}`).join(',') || '-';
  const permissions = Object.entries(r.permissions).filter(([, on]) => on).map(([p]) => p).join(',') || '-';
  return [r.name, `logins=${r.logins.join(',') || '-'}`, `labels=${labels}`, `max-ttl=${formatDuration(r.maxTtl)}`, `permissions=${permissions}`, `capabilities=${r.capabilities.join(',') || '-'}`].join('  ');
}

interface RoleCreateOptions {
  logins?: string;
  labels?: string;
  maxTtl: string;
  description?: string;
  pty?: boolean;
  portForwarding?: boolean;
  agentForwarding?: boolean;
  fileTransfer?: boolean;
  x11?: boolean;
  capabilities?: string;
}

export function registerIdentityCommands(program: Command, io: CliIo): void {
  const withIdentity = async <T>(command: Command, fn: (identity: Identity, store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(configFrom(command.optsWithGlobals<GlobalOptions>(), io), { say: say(io) });
    try {
      const deps = { db: store.database.db, audit: store.audit, clock: store.clock };
      await seedBuiltinRoles(deps);
      return await fn(createIdentity({ ...deps, bootstrapAdmins: store.config.bootstrapAdmins }), store);
    } finally {
      await store.close();
    }
  };

  program
    .command('grant')
    .description('grant a role to a person (by email) or to an IdP group; audited as grant.created')
    .option('--user <email>', 'the person, by the email their identity provider sends')
    .option('--group <name>', 'an IdP group, as the groups claim spells it')
    .requiredOption('--role <role>', 'the role to grant (see: access-server role ls)')
    .option('--expires <duration>', 'end the grant after this long, e.g. 8h or 30d; default never')
    .requiredOption('--reason <text>', 'why: kept with the grant and in the audit log, for reviews')
    .action(async (o: { user?: string; group?: string; role: string; expires?: string; reason: string }, command: Command) => {
      if ((o.user === undefined) === (o.group === undefined)) throw new CommandFailed('give exactly one of --user EMAIL or --group NAME');
      const grant = await withIdentity(command, (identity) =>
        identity.grants.add({ user: o.user, group: o.group, role: o.role, expires: o.expires, reason: o.reason }, cliActor()),
      );
      io.stdout.write(`${grant.id}\n`);
      const until = grant.expiresAt ? `until ${grant.expiresAt.toISOString()}` : 'without expiry';
      io.stderr.write(`granted role ${grant.role} to ${grant.subjectKind} ${grant.subject} ${until}\n`);
    });

  const role = program.command('role').description('roles: which logins, on which hosts (by label), for how long, with which SSH features');
  role
    .command('create <name>')
    .description('create a role; audited as role.created')
    .option('--logins <list>', 'comma-separated logins: literal (deploy) or {{email.local}} for each person\'s own login')
    .option('--labels <list>', 'hosts the role reaches: KEY=VALUE pairs, VALUE may be *; repeat a key for several values; *=* for every host')
    .requiredOption('--max-ttl <duration>', 'longest certificate the role allows, e.g. 8h')
    .option('--description <text>', 'what the role is for')
    .option('--pty', 'allow an interactive terminal')
    .option('--port-forwarding', 'allow port forwarding')
    .option('--agent-forwarding', 'allow ssh-agent forwarding')
    .option('--file-transfer', 'allow scp and sftp')
    .option('--x11', 'allow X11 forwarding')
    .option('--capabilities <list>', 'comma-separated: admin (manage access), audit (read the audit log and sessions)')
    .action(async (name: string, o: RoleCreateOptions, command: Command) => {
      const created = await withIdentity(command, (identity) =>
        identity.roles.create(
          {
            name,
            description: o.description,
            logins: o.logins === undefined ? [] : list(o.logins),
            hostLabels: o.labels === undefined ? {} : parseLabelSelector(o.labels),
            maxTtl: o.maxTtl,
            permissions: { pty: !!o.pty, portForwarding: !!o.portForwarding, agentForwarding: !!o.agentForwarding, fileTransfer: !!o.fileTransfer, x11: !!o.x11 },
            capabilities: o.capabilities === undefined ? [] : list(o.capabilities),
          },
          cliActor(),
        ),
      );
      io.stdout.write(`${describeRole(created)}\n`);
    });

  role
    .command('ls')
    .description('list roles')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, command: Command) => {
      const roles = await withIdentity(command, (identity) => identity.roles.list());
      if (o.json) io.stdout.write(`${JSON.stringify(roles, null, 2)}\n`);
      else for (const r of roles) io.stdout.write(`${describeRole(r)}\n`);
    });
}
