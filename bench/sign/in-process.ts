import { loadConfig, openServices } from '@access/ca';
import { formatCertificate, signCertificate, type CaSigner, type SshPublicKey } from '@access/sshcert';
import { summarize, type LatencySummary } from '../lib/stats.ts';

export interface RateResult extends LatencySummary {
  /** Certificates per second. */
  rate: number;
}

/** Runs `once` `count` times in sequence, timing each call, after `warmup` untimed calls. */
async function timeSequential(count: number, warmup: number, budgetMs: number, once: (i: number) => unknown): Promise<RateResult> {
  for (let i = 0; i < warmup; i += 1) await once(i);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count && performance.now() - started < budgetMs; i += 1) {
    const t0 = performance.now();
    await once(warmup + i);
    samples.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  return { ...summarize(samples), rate: samples.length / seconds };
}

/**
 * `signCertificate` + `formatCertificate` for an Ed25519 subject with an Ed25519 CA: the
 * cost of the certificate itself, no policy and no database. Synchronous, so the loop
 * is not awaited per certificate; the per-call latencies come from a separate timed pass.
 */
export function benchSignCertificate(ca: CaSigner, subject: SshPublicKey, count: number): RateResult {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const sign = (serial: number) =>
    formatCertificate(
      signCertificate(
        {
          type: 'user',
          publicKey: subject,
          serial: BigInt(serial),
          keyId: 'bench',
          principals: ['bench'],
          validAfter: now - 300n,
          validBefore: now + 600n,
          criticalOptions: {},
          extensions: ['permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc', 'permit-X11-forwarding'],
        },
        ca,
      ),
    );
  for (let i = 0; i < Math.min(2_000, count); i += 1) sign(i);
  const started = performance.now();
  for (let i = 0; i < count; i += 1) sign(i);
  const rate = count / ((performance.now() - started) / 1000);
  const samples: number[] = [];
  for (let i = 0; i < Math.min(5_000, count); i += 1) {
    const t0 = performance.now();
    sign(i);
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), rate };
}

export interface AuthorityBench {
  result: RateResult;
  /** An admin token created in the same data directory / database, for the HTTP bench that follows. */
  adminToken: string;
}

/**
 * The whole signing path in process: policy, serial from the sequence, signing, the
 * certificates row and the audit append in one transaction. Opens the services on
 * `dataDir` (creating CA keys), creates an admin token there — what `access-server token
 * create --role admin` does — and closes everything again, since PGlite allows one process.
 */
export async function benchAuthority(
  dataDir: string,
  databaseUrl: string | undefined,
  publicKey: string,
  options: { count: number; budgetMs: number },
): Promise<AuthorityBench> {
  const config = loadConfig({ dataDir, databaseUrl }, {});
  const services = await openServices(config, { initKeysIfMissing: true });
  try {
    const { token } = await services.tokens.create({ role: 'admin', description: 'bench' }, { kind: 'cli', id: 'bench' });
    const context = { actor: { kind: 'cli' as const, id: 'bench' }, remote: null };
    const request = { type: 'user' as const, publicKey, principals: ['bench'], ttl: '10m' };
    const result = await timeSequential(options.count, 50, options.budgetMs, () => services.authority.sign(request, context));
    return { result, adminToken: token };
  } finally {
    await services.close();
  }
}
