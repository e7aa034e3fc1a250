import type { Command } from 'commander';
import type { ApiClient } from '../api-client.ts';
import type { User } from '../api-types.ts';
import { CliError } from '../errors.ts';
import { print, printJson, type CliIo } from '../io.ts';
import { apiOptions, signedIn, type ServerOption } from './command-context.ts';

interface LockFlags extends ServerOption {
  json?: boolean;
  user: string;
  reason?: string;
}

const DEFAULT_REASON = 'no reason given (locked with "access lock")';

/**
 * The people with this email, in any case. The lock routes take a user id; a person is
 * (issuer, subject), so one email may name several, and a lock then covers each of them.
 */
export async function peopleByEmail(api: ApiClient, email: string): Promise<User[]> {
  const wanted = email.trim().toLowerCase();
  const found = (await api.users.list()).filter((u) => u.email.toLowerCase() === wanted);
  if (found.length === 0) {
    throw new CliError('ERR_UNKNOWN_USER', `no one with the email ${email} has signed in to this server, so there is no one to lock or unlock ("access login" creates a person)`);
  }
  return found;
}

export function registerLockCommands(program: Command, io: CliIo): void {
  apiOptions(program.command('lock'))
    .description('lock a person out (needs admin): no new certificates, their API tokens end, gateways end their live sessions; audited')
    .requiredOption('--user <email>', 'the person, by email')
    .option('--reason <text>', 'why: kept with the lock and in the audit log, for reviews')
    .action(async (o: LockFlags) => {
      const { api } = signedIn(io, o);
      const reason = o.reason?.trim() || DEFAULT_REASON;
      const locked: User[] = [];
      for (const person of await peopleByEmail(api, o.user)) locked.push(await api.users.lock(person.id, reason));
      if (o.json) return printJson(io, locked);
      for (const u of locked) print(io)(`locked ${u.email} (${u.id}): ${u.lockReason ?? reason}`);
    });

  apiOptions(program.command('unlock'))
    .description('unlock a person (needs admin): they may sign in again with "access login"; audited')
    .requiredOption('--user <email>', 'the person, by email')
    .action(async (o: LockFlags) => {
      const { api } = signedIn(io, o);
      const unlocked: User[] = [];
      for (const person of await peopleByEmail(api, o.user)) unlocked.push(await api.users.unlock(person.id));
      if (o.json) return printJson(io, unlocked);
      for (const u of unlocked) print(io)(`unlocked ${u.email} (${u.id}); they sign in again with "access login"`);
    });
}
