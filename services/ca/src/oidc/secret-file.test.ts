import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientSecretPath, readSecretFile } from './secret-file.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'access-secret-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function secretFile(text: string, mode: number): string {
  const path = join(dir, 'oidc-client-secret');
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
}

describe('readSecretFile', () => {
  it('reads an owner-only file and drops the trailing newline', () => {
    expect(readSecretFile(secretFile('s3cret-value\n', 0o600))).toBe('s3cret-value');
    expect(readSecretFile(secretFile('s3cret-value', 0o400))).toBe('s3cret-value');
  });

  it('refuses a file group or others may read, and says how to fix it without showing the secret', () => {
    for (const mode of [0o640, 0o604, 0o644]) {
      const path = secretFile('s3cret-value', mode);
      expect(() => readSecretFile(path)).toThrow(/chmod 600/);
      expect(() => readSecretFile(path)).not.toThrow(/s3cret/);
    }
  });

  it('refuses an empty file, a missing file and a directory', () => {
    expect(() => readSecretFile(secretFile('\n', 0o600))).toThrow(/empty/);
    expect(() => readSecretFile(join(dir, 'missing'))).toThrow(/ENOENT/);
    expect(() => readSecretFile(dir)).toThrow(/not a file/);
  });
});

describe('clientSecretPath', () => {
  it('prefers the systemd credential, then the configured file', () => {
    expect(clientSecretPath({ credentialsDir: '/run/credentials/access-ca.service', secretFile: '/etc/x' })).toBe(
      '/run/credentials/access-ca.service/oidc-client-secret',
    );
    expect(clientSecretPath({ credentialsDir: undefined, secretFile: '/etc/access/oidc-secret' })).toBe('/etc/access/oidc-secret');
    expect(() => clientSecretPath({ credentialsDir: undefined, secretFile: undefined })).toThrow(/ACCESS_OIDC_CLIENT_SECRET_FILE/);
  });
});
