import { SshCertError } from '@access/sshcert';
import { ConfigError } from '../config.ts';
import { DataDirBusyError } from '../data-dir-lock.ts';
import { AccessError } from '../errors.ts';
import { KeyFileError } from '../keys/key-files.ts';

/** Errors we raise on purpose carry a message for a person; anything else is a bug or the environment. */
export function describeError(error: unknown, env: NodeJS.ProcessEnv): string {
  const known = [AccessError, SshCertError, ConfigError, KeyFileError, DataDirBusyError, CommandFailed].some((t) => error instanceof t);
  if (known) return (error as Error).message;
  const detail = env['ACCESS_DEBUG'] ? `\n${(error as Error).stack ?? String(error)}` : ' (set ACCESS_DEBUG=1 for details)';
  return `${error instanceof Error ? error.message : String(error)}${detail}`;
}

/** An error a command throws to end with a message and a given exit status. */
export class CommandFailed extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
