import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/access-server.ts';
import { run } from '../support/process.ts';

/**
 * What a fresh `npm ci` runs and ships: no dependency's install script runs (only our own
 * postinstall, patch-package), and `npm run sbom` lists every production dependency.
 */
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; hasInstallScript?: boolean; link?: boolean }>;
};
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean>; scripts: Record<string, string> };
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('supply chain', () => {
  it('denies every dependency that has an install script, by name in allowScripts', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path.includes('node_modules/') && p.hasInstallScript && !p.link)
      .map(([path]) => nameOf(path));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(pkg.allowScripts?.[name], name).toBe(false);
    expect(Object.values(pkg.allowScripts ?? {}).every((allowed) => allowed === false)).toBe(true);
  });

  it('npm itself finds no install script left to approve', async () => {
    const listed = await run('npm', ['install-scripts', 'ls'], { cwd: REPO_ROOT, timeoutMs: 60_000 });
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toMatch(/not yet covered/);
  }, 90_000);

  // The whole lockfile: `npm sbom --omit dev` drops production packages that a dev tool also
  // uses (esbuild, jose, pg-types), so an SBOM of production alone would be wrong here.
  it('npm run sbom prints a CycloneDX SBOM naming every installed package at its locked version', async () => {
    const sbom = await run('npm', ['run', '--silent', 'sbom'], { cwd: REPO_ROOT, timeoutMs: 120_000 });
    expect(sbom.code).toBe(0);
    const bom = JSON.parse(sbom.stdout) as { bomFormat: string; specVersion: string; components: Array<{ name: string; version: string }> };
    expect(bom.bomFormat).toBe('CycloneDX');
    const listed = new Set(bom.components.map((c) => `${c.name}@${c.version}`));
    // Optional packages for other platforms (esbuild's, say) are in the lock but not installed here.
    const installed = Object.entries(lock.packages).filter(([path, p]) => path.includes('node_modules/') && !p.link && p.version && existsSync(join(REPO_ROOT, path)));
    expect(installed.length).toBeGreaterThan(200);
    const missing = installed.map(([path, p]) => `${nameOf(path)}@${p.version}`).filter((id) => !listed.has(id));
    expect(missing).toEqual([]);
    for (const id of ['ssh2@1.17.0', 'esbuild@0.28.2', 'fastify@' + lock.packages['node_modules/fastify']!.version]) expect(listed.has(id), id).toBe(true);
  }, 150_000);
});
