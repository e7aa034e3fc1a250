import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readKeyFiles, writeKeyFile } from './key-files.ts';

describe('CA key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'access-keys-')), 'keys');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('writes keys 0600 in a 0700 folder, and a second key of a kind under a new name', () => {
    const first = writeKeyFile(dir, 'user', 'one', new Date(1_700_000_000_000));
    const second = writeKeyFile(dir, 'user', 'two', new Date(1_700_000_000_000));
    expect(first).toBe(join(dir, 'user-ca'));
    expect(second).toBe(join(dir, 'user-ca.1700000000'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(readKeyFiles(dir).map((f) => [f.kind, f.text])).toEqual([
      ['user', 'one'],
      ['user', 'two'],
    ]);
  });

  it('ignores files that are not named for a CA kind', () => {
    writeKeyFile(dir, 'host', 'h', new Date());
    writeFileSync(join(dir, 'notes.txt'), 'x', { mode: 0o600 });
    expect(readKeyFiles(dir).map((f) => f.kind)).toEqual(['host']);
  });

  it('refuses a key file readable by group or others and says how to fix it', () => {
    const path = writeKeyFile(dir, 'upstream', 'secret', new Date());
    chmodSync(path, 0o644);
    expect(() => readKeyFiles(dir)).toThrow(`chmod 600 ${path}`);
  });

  it('refuses a key folder open to others', () => {
    writeKeyFile(dir, 'user', 'secret', new Date());
    chmodSync(dir, 0o755);
    expect(() => readKeyFiles(dir)).toThrow(`chmod 700 ${dir}`);
  });
});
