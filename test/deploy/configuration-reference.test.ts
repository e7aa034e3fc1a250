import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../services/ca/src/cli/main.ts';
import type { CliIo } from '../../services/ca/src/cli/io.ts';
import { readDoc, repoPath } from './deploy-files.ts';

const SERVER_SOURCES = ['services/ca/src', 'services/gateway/src', 'packages/db/src', 'packages/audit/src', 'packages/sshcert/src', 'packages/recording/src'];
/** Read only by tests. */
const TEST_ONLY = /^ACCESS_TEST_/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || entry.name === 'assets' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every ACCESS_* name the server code mentions (full names: `ACCESS_OIDC_` as a prefix is not one). */
function variablesInCode(): string[] {
  const names = new Set<string>();
  for (const file of SERVER_SOURCES.flatMap((dir) => sourceFiles(repoPath(dir)))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bACCESS_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (!TEST_ONLY.test(match[0])) names.add(match[0]);
    }
  }
  return [...names].sort();
}

/** Every long flag of the commands that run services, and the global ones. */
function serverFlags(): string[] {
  const io = { stdout: process.stdout, stderr: process.stderr, env: {}, stopSignal: () => new Promise<string>(() => undefined) } as CliIo;
  const program = buildProgram(io);
  const commands: Command[] = [program, ...program.commands.filter((c) => ['start', 'gateway', 'migrate'].includes(c.name()))];
  return [...new Set(commands.flatMap((c) => c.options.map((o) => o.long).filter((l): l is string => Boolean(l))))].sort();
}

describe('docs/configuration.md', () => {
  const doc = readDoc('docs/configuration.md');

  it('names every ACCESS_* variable the server code reads', () => {
    const names = variablesInCode();
    expect(names).toContain('ACCESS_OIDC_ISSUER');
    expect(names.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  it('names every flag of start, gateway, migrate and the global ones', () => {
    const flags = serverFlags();
    expect(flags).toEqual(expect.arrayContaining(['--data-dir', '--http-addr', '--ca-url', '--token-file']));
    expect(flags.filter((flag) => !doc.includes(`\`${flag}\``))).toEqual([]);
  });

  it('names CREDENTIALS_DIRECTORY and every credential the units load', () => {
    expect(doc).toContain('`CREDENTIALS_DIRECTORY`');
    for (const unit of ['access-ca.service', 'access-gateway.service']) {
      const text = readFileSync(repoPath(`deploy/systemd/${unit}`), 'utf8');
      for (const [, name] of text.matchAll(/^LoadCredential=([\w.-]+):/gm)) {
        expect(`${doc}\n${readDoc('docs/production.md')}`).toContain(`\`${name}\``);
      }
    }
  });
});
