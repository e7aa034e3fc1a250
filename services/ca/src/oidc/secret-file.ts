import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class SecretFileError extends Error {
  readonly code = 'ERR_SECRET_FILE';
}

/** The file name the OIDC client secret has in systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=oidc-client-secret:…`). */
export const OIDC_CLIENT_SECRET_CREDENTIAL = 'oidc-client-secret';

/**
 * Reads a secret (the OIDC client secret) from a file only its owner may read, as
 * `keys/key-files.ts` does for CA keys: a secret is only as private as its file's mode.
 * Surrounding whitespace (the trailing newline of `echo … > file`) is dropped.
 */
export function readSecretFile(path: string): string {
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new SecretFileError(`${path} is not a file`);
    mode = stat.mode & 0o777;
  } catch (error) {
    if (error instanceof SecretFileError) throw error;
    throw new SecretFileError(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (mode & 0o077) {
    throw new SecretFileError(
      `${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); fix it with: chmod 600 ${path}`,
    );
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (!secret) throw new SecretFileError(`${path} is empty`);
  return secret;
}

/** systemd's credentials directory wins, as for CA keys; otherwise the configured file. */
export function clientSecretPath(options: { credentialsDir: string | undefined; secretFile: string | undefined }): string {
  if (options.credentialsDir) return join(options.credentialsDir, OIDC_CLIENT_SECRET_CREDENTIAL);
  if (options.secretFile) return options.secretFile;
  throw new SecretFileError('no OIDC client secret: set ACCESS_OIDC_CLIENT_SECRET_FILE or provide the oidc-client-secret systemd credential');
}
