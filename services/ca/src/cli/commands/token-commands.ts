import type { Command } from 'commander';
import { openStore } from '../../ca-services.ts';
import { parseDuration } from '../../duration.ts';
import { createMachineTokens, TOKEN_ROLES } from '../../tokens/machine-tokens.ts';
import { cliActor, configFrom, type CliIo, type GlobalOptions } from '../io.ts';

export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('machine tokens for the signing API (shown once, stored as a hash)');

  const withTokens = async <T>(command: Command, fn: (tokens: ReturnType<typeof createMachineTokens>) => Promise<T>): Promise<T> => {
    const store = await openStore(configFrom(command.optsWithGlobals<GlobalOptions>(), io));
    try {
      return await fn(createMachineTokens({ db: store.database.db, audit: store.audit, clock: store.clock }));
    } finally {
      await store.close();
    }
  };

  token
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--role <role>', `one of: ${TOKEN_ROLES.join(', ')}`)
    .option('--description <text>', 'what the token is for', 'machine token')
    .option('--ttl <duration>', 'expire after this long (e.g. 30d); default never')
    .action(async (options: { role: string; description: string; ttl?: string }, command: Command) => {
      const ttlSeconds = options.ttl ? parseDuration(options.ttl, '--ttl') : undefined;
      const created = await withTokens(command, (tokens) => tokens.create({ role: options.role, description: options.description, ttlSeconds }, cliActor()));
      io.stdout.write(`${created.token}\n`);
      io.stderr.write(`created ${created.info.id} (role ${created.info.role}); this is the only time the token is shown\n`);
    });

  token
    .command('ls')
    .description('list tokens (never their secrets)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const rows = await withTokens(command, (tokens) => tokens.list());
      const view = rows.map((r) => ({
        id: r.id,
        role: r.role,
        description: r.description,
        createdAt: r.created_at.toISOString(),
        expiresAt: r.expires_at?.toISOString() ?? null,
        revokedAt: r.revoked_at?.toISOString() ?? null,
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
      }));
      if (options.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      else for (const t of view) io.stdout.write(`${t.id}  ${t.role}  ${t.revokedAt ? 'revoked' : 'active'}  ${t.description}\n`);
    });

  token
    .command('revoke <id>')
    .description('revoke a token by id')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withTokens(command, (tokens) => tokens.revoke(id, cliActor()));
      io.stdout.write(`revoked ${id}\n`);
    });
}
