import { userInfo } from 'node:os';
import type { AuditActor } from '@access/audit';
import { loadConfig, type CaConfig } from '../config.ts';

/** The outside world as the commands see it; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: () => Promise<string>;
}

export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
}

export function configFrom(globals: GlobalOptions, io: CliIo, httpAddr?: string, sshAddr?: string | false): CaConfig {
  return loadConfig({ dataDir: globals.dataDir, databaseUrl: globals.databaseUrl, httpAddr, sshAddr }, io.env);
}

/** Offline commands act as the local operating-system user. */
export function cliActor(): AuditActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return { kind: 'cli', id: name };
}

export const say = (io: CliIo) => (line: string): void => {
  io.stderr.write(`${line}\n`);
};
