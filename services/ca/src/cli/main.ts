import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit-commands.ts';
import { registerCaCommands } from './commands/ca-commands.ts';
import { registerIdentityCommands } from './commands/identity-commands.ts';
import { registerGatewayCommand } from './commands/gateway-command.ts';
import { registerServerCommands } from './commands/server-commands.ts';
import { registerTokenCommands } from './commands/token-commands.ts';
import type { CliIo } from './io.ts';
import { describeError } from './run.ts';

const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stopSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
});

export function buildProgram(io: CliIo): Command {
  const program = new Command('access-server')
    .description('The access certificate authority: signs short-lived SSH certificates, publishes CA keys and the revocation list, keeps the audit log.')
    .option('--data-dir <dir>', 'data directory: embedded database and CA keys (env ACCESS_DATA_DIR)', undefined)
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded database (env ACCESS_DATABASE_URL)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerServerCommands(program, io);
  registerGatewayCommand(program, io);
  registerCaCommands(program, io);
  registerTokenCommands(program, io);
  registerIdentityCommands(program, io);
  registerAuditCommands(program, io);
  return program;
}

/** Runs one command line and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`error: ${describeError(error, io.env)}\n`);
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}
