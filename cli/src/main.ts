import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit-commands.ts';
import { registerGrantCommands } from './commands/grant-commands.ts';
import { registerHostCommands } from './commands/host-commands.ts';
import { registerHostTokenCommand } from './commands/host-token-command.ts';
import { registerHostsViewCommands } from './commands/hosts-view-commands.ts';
import { registerLockCommands } from './commands/lock-commands.ts';
import { registerLoginCommand } from './commands/login-command.ts';
import { registerLogoutCommand } from './commands/logout-command.ts';
import { registerPlayCommand } from './commands/play-command.ts';
import { registerRoleCommands } from './commands/role-commands.ts';
import { registerSessionCommands } from './commands/session-commands.ts';
import { registerStatusCommand } from './commands/status-command.ts';
import { describeError } from './errors.ts';
import type { CliIo } from './io.ts';
import { processIo } from './process-io.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('access')
    .description('Sign in for a short-lived SSH certificate and reach your hosts through the access gateway.\nFiles live in ACCESS_HOME (default ~/.access).')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerLoginCommand(program, io);
  registerStatusCommand(program, io);
  registerHostsViewCommands(program, io);
  registerLogoutCommand(program, io);
  registerRoleCommands(program, io);
  registerGrantCommands(program, io);
  registerHostCommands(program, io);
  registerHostTokenCommand(program, io);
  registerSessionCommands(program, io);
  registerPlayCommand(program, io);
  registerLockCommands(program, io);
  registerAuditCommands(program, io);
  return program;
}

/** Runs one command line and returns the exit code; never calls process.exit. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`error: ${describeError(error, io.env)}\n`);
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}
