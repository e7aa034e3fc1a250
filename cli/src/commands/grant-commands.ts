import type { Command } from 'commander';
import type { Grant } from '../api-types.ts';
import { CliError } from '../errors.ts';
import { table } from '../format/table.ts';
import { print, printJson, type CliIo } from '../io.ts';
import { apiOptions, signedIn, type ServerOption } from './command-context.ts';

interface GrantFlags extends ServerOption {
  json?: boolean;
  user?: string;
  group?: string;
  role?: string;
  active?: boolean;
  expires?: string;
  reason?: string;
}

const subject = (g: Grant) => `${g.subjectKind}:${g.subject}`;
const state = (g: Grant) => (g.revokedAt ? 'revoked' : g.active ? 'active' : 'expired');

function describe(g: Grant): string {
  return `${g.id}  ${g.role} to ${subject(g)}  ${g.expiresAt ? `until ${g.expiresAt}` : 'without expiry'}  (${state(g)})`;
}

export function registerGrantCommands(program: Command, io: CliIo): void {
  const grants = program.command('grants').description('grants: a role for a person (by email) or an IdP group, with a reason and an expiry');

  apiOptions(grants.command('ls'))
    .description('list grants (needs the audit capability)')
    .option('--user <email>', 'only grants to this person')
    .option('--group <name>', 'only grants to this group')
    .option('--role <role>', 'only grants of this role')
    .option('--active', 'only grants neither revoked nor expired')
    .action(async (o: GrantFlags) => {
      const all = await signedIn(io, o).api.grants.list({ user: o.user, group: o.group, role: o.role, ...(o.active ? { active: true } : {}) });
      if (o.json) return printJson(io, all);
      const rows = all.map((g) => [g.id, subject(g), g.role, g.expiresAt ?? 'never', state(g), g.reason]);
      io.stdout.write(table(['ID', 'TO', 'ROLE', 'EXPIRES', 'STATE', 'REASON'], rows));
    });

  apiOptions(grants.command('add'))
    .description('grant a role to a person or a group (needs admin); audited')
    .option('--user <email>', 'the person, by the email their identity provider sends')
    .option('--group <name>', 'an IdP group, as the groups claim spells it')
    .requiredOption('--role <role>', 'the role to grant (see: access roles ls)')
    .option('--expires <duration>', 'end the grant after this long, e.g. 8h or 30d; default never')
    .requiredOption('--reason <text>', 'why: kept with the grant and in the audit log, for reviews')
    .action(async (o: GrantFlags) => {
      if ((o.user === undefined) === (o.group === undefined)) throw new CliError('ERR_USAGE', 'give exactly one of --user EMAIL or --group NAME');
      const grant = await signedIn(io, o).api.grants.add({ user: o.user, group: o.group, role: o.role!, expires: o.expires, reason: o.reason! });
      if (o.json) printJson(io, grant);
      else print(io)(`granted ${describe(grant)}`);
    });

  apiOptions(grants.command('revoke <id>'))
    .description('revoke a grant by id (needs admin); the grant is kept for history')
    .action(async (id: string, o: GrantFlags) => {
      const grant = await signedIn(io, o).api.grants.revoke(id);
      if (o.json) printJson(io, grant);
      else print(io)(`revoked ${describe(grant)}`);
    });
}
