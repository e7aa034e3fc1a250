import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh 0700 directory under the system temp dir; `prefix` makes leftovers easy to attribute. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `access-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
