import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test-only helpers that drive the real OpenSSH ssh-keygen (argument arrays,
// never a shell) in a private temporary directory.

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function sshKeygen(args: readonly string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('ssh-keygen', [...args], { cwd, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like sshKeygen, but throws when ssh-keygen fails. */
export async function sshKeygenOk(args: readonly string[], cwd?: string): Promise<string> {
  const result = await sshKeygen(args, cwd);
  if (result.code !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

export class TempDir {
  private constructor(readonly path: string) {}

  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(join(tmpdir(), 'sshcert-test-')));
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async write(name: string, data: string | Buffer, mode = 0o600): Promise<string> {
    const path = this.file(name);
    await writeFile(path, data, { mode });
    return path;
  }

  read(name: string): Promise<string> {
    return readFile(this.file(name), 'utf8');
  }

  /** Generates a key pair with ssh-keygen; returns the private key path. */
  async keygen(name: string, args: readonly string[], passphrase = ''): Promise<string> {
    const path = this.file(name);
    await sshKeygenOk(['-q', ...args, '-N', passphrase, '-C', `${name}@test`, '-f', path]);
    return path;
  }

  remove(): Promise<void> {
    return rm(this.path, { recursive: true, force: true });
  }
}

export interface ListedCertificate {
  readonly algorithm: string;
  readonly type: 'user' | 'host';
  readonly signingCa: string;
  readonly keyId: string;
  readonly serial: bigint;
  readonly valid: string;
  readonly principals: string[];
  readonly criticalOptions: Record<string, string>;
  readonly extensions: string[];
}

/** Parses the text `ssh-keygen -L -f cert` prints (OpenSSH 9.x layout). */
export function parseKeygenListing(output: string): ListedCertificate {
  const lines = output.split('\n');
  const field = (name: string): string => {
    const line = lines.find((l) => l.trimStart().startsWith(`${name}:`));
    if (line === undefined) throw new Error(`ssh-keygen -L output has no ${name}: line`);
    return line.slice(line.indexOf(':') + 1).trim();
  };
  const block = (name: string): string[] => {
    const start = lines.findIndex((l) => l.trimStart().startsWith(`${name}:`));
    if (start < 0 || field(name) === '(none)') return [];
    const items: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith('                ')) break;
      items.push(line.trim());
    }
    return items;
  };
  const typeMatch = /^(\S+) (user|host) certificate$/.exec(field('Type'));
  if (typeMatch === null) throw new Error(`unexpected Type line: ${field('Type')}`);
  const options: Record<string, string> = {};
  for (const item of block('Critical Options')) {
    const space = item.indexOf(' ');
    options[space < 0 ? item : item.slice(0, space)] = space < 0 ? '' : item.slice(space + 1);
  }
  return {
    algorithm: typeMatch[1] ?? '',
    type: typeMatch[2] === 'host' ? 'host' : 'user',
    signingCa: field('Signing CA'),
    keyId: JSON.parse(field('Key ID')) as string,
    serial: BigInt(field('Serial')),
    valid: field('Valid'),
    principals: block('Principals'),
    criticalOptions: options,
    extensions: block('Extensions'),
  };
}
