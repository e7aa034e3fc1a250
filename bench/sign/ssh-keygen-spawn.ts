import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { summarize } from '../lib/stats.ts';
import type { RateResult } from './in-process.ts';

const run = promisify(execFile);

/**
 * The baseline a CA built on OpenSSH would have: one `ssh-keygen -s` process per
 * certificate, in sequence. ssh-keygen writes `<key>-cert.pub` next to the public key, so
 * each iteration signs its own copy. `dir` must be a private temporary directory.
 */
export async function benchSshKeygen(dir: string, caPrivateKey: string, subjectPublicKey: string, count: number): Promise<RateResult> {
  const caPath = join(dir, 'ca');
  const keyPath = join(dir, 'key.pub');
  await writeFile(caPath, caPrivateKey, { mode: 0o600 });
  await writeFile(keyPath, `${subjectPublicKey}\n`);

  const signOne = async (i: number) => {
    const copy = join(dir, `key-${i}.pub`);
    await copyFile(keyPath, copy);
    await run('ssh-keygen', ['-q', '-s', caPath, '-I', 'bench', '-n', 'bench', '-V', '+10m', '-z', String(i + 1), copy]);
  };

  await signOne(-1);
  const first = await readFile(join(dir, 'key--1-cert.pub'), 'utf8');
  if (!first.startsWith('ssh-ed25519-cert-v01@openssh.com ')) throw new Error(`ssh-keygen wrote an unexpected certificate: ${first.slice(0, 60)}`);
  for (let i = 0; i < 10; i += 1) await signOne(i);

  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    await signOne(10 + i);
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), rate: count / ((performance.now() - started) / 1000) };
}
