import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKey {
  privatePath: string;
  publicPath: string;
  publicKey: string;
}

/** A key pair made by the real ssh-keygen, in a fresh temporary folder. */
export function sshKeygen(type: 'ed25519' | 'ecdsa' | 'rsa' | 'dsa', bits?: number): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'access-key-'));
  const privatePath = join(dir, 'id');
  const args = ['-q', '-t', type, '-N', '', '-C', `test-${type}`, '-f', privatePath];
  if (bits) args.push('-b', String(bits));
  execFileSync('ssh-keygen', args);
  return { privatePath, publicPath: `${privatePath}.pub`, publicKey: readFileSync(`${privatePath}.pub`, 'utf8').trim() };
}
