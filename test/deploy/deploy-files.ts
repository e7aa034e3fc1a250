import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An absolute path from a path relative to the repository root. */
export const repoPath = (relative: string): string => join(ROOT, relative);

export const readDoc = (relative: string): string => readFileSync(repoPath(relative), 'utf8');

/**
 * The exposure score docs/production.md gives for a unit, from its table row
 * `| \`access-ca.service\` | 1.1 | …`; the label is the first cell without backticks.
 */
export function documentedExposure(label: string): number {
  for (const line of readDoc('docs/production.md').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || cells[1]?.replaceAll('`', '') !== label) continue;
    const score = Number(cells[2]);
    if (Number.isFinite(score)) return score;
  }
  throw new Error(`docs/production.md has no exposure row for ${label}`);
}
