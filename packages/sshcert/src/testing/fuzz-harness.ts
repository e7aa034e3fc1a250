import { generateCaKey } from '../ca-key.ts';
import type { CaSigner } from '../ca-key.ts';
import { FOREVER, formatCertificate } from '../certificate.ts';
import type { SshCertificate } from '../certificate.ts';
import { parseCertificate } from '../certificate-parse.ts';
import { signCertificate } from '../certificate-sign.ts';
import { verifyCertificate } from '../certificate-verify.ts';
import { SshCertError } from '../errors.ts';
import type { SshCertErrorCode } from '../errors.ts';
import { encodeKrl } from '../krl.ts';
import { parseKrl } from '../krl-parse.ts';
import { formatPublicKey, parsePublicKey, publicKeyFromBlob } from '../public-key.ts';
import type { SshPublicKey } from '../public-key.ts';
import { SeededRandom, mutate } from './fuzz-mutations.ts';
import { ecdsaCaSigner, rsaCaSigner, subjectKey } from './test-ca-signers.ts';

const SIGNATURE_FAILURES: ReadonlySet<SshCertErrorCode> = new Set(['ERR_CERT_SIGNATURE', 'ERR_CERT_UNTRUSTED_CA', 'ERR_CERT_MALFORMED']);

export interface FuzzCorpus {
  readonly certificates: readonly { cert: SshCertificate; ca: CaSigner }[];
  readonly keys: readonly SshPublicKey[];
  readonly krls: readonly Buffer[];
}

export interface FuzzStats {
  iterations: number;
  unchanged: number;
  rejectedByParse: number;
  rejectedByVerify: number;
  acceptedNonCertificates: number;
  unexpected: number;
  /** The first few unexpected results, with enough detail to replay them. */
  examples: string[];
}

/** Valid inputs of every supported kind, signed by CAs of every supported type. */
export function buildFuzzCorpus(): FuzzCorpus {
  const rsaCa = rsaCaSigner(3072, 'sha512');
  const cas = [generateCaKey().signer, ecdsaCaSigner('P-256'), ecdsaCaSigner('P-384'), rsaCa];
  // RSA key generation is slow; the RSA CA's key doubles as the RSA subject key.
  const keys = [...(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384'] as const).map(subjectKey), rsaCa.publicKey];
  const certificates = cas.flatMap((ca, i) =>
    keys.map((publicKey, j) => ({
      ca,
      cert: signCertificate(
        {
          type: (i + j) % 2 === 0 ? 'user' : 'host',
          publicKey,
          serial: BigInt(1000 * i + j),
          keyId: `fuzz-${i}-${j}`,
          principals: ['alice', 'web-1.example.com'],
          validAfter: 0n,
          validBefore: FOREVER,
          criticalOptions: j % 2 === 0 ? { 'force-command': 'true', 'source-address': '10.0.0.0/8' } : {},
          extensions: ['permit-pty', 'permit-port-forwarding'],
        },
        ca,
      ),
    })),
  );
  const krls = [
    encodeKrl({ version: 1n, generatedAt: 2n, comment: 'c', certificates: [], revokedKeys: [] }),
    encodeKrl({
      version: 5n,
      generatedAt: 1_750_000_000n,
      comment: 'fuzz',
      certificates: [
        { caKey: cas[0]?.publicKey ?? null, serials: [1n, 5n, 9n], serialRanges: [[10n, 20n]], keyIds: ['alice'] },
        { caKey: null, serials: [], serialRanges: [], keyIds: ['bob', 'carol'] },
      ],
      revokedKeys: keys,
    }),
  ];
  return { certificates, keys, krls };
}

/** Runs `iterations` mutations; a correct library ends with `unexpected === 0`. */
export function runFuzz(corpus: FuzzCorpus, iterations: number, seed: number): FuzzStats {
  const random = new SeededRandom(seed);
  const stats: FuzzStats = { iterations, unchanged: 0, rejectedByParse: 0, rejectedByVerify: 0, acceptedNonCertificates: 0, unexpected: 0, examples: [] };
  const unexpected = (what: string, input: Buffer, detail: unknown): void => {
    stats.unexpected++;
    if (stats.examples.length < 5) stats.examples.push(`${what}: ${String(detail)} input=${input.toString('base64')}`);
  };
  const onlySshCertError = (what: string, input: Buffer, fn: () => unknown): boolean => {
    try {
      fn();
      return true;
    } catch (error) {
      if (!(error instanceof SshCertError)) unexpected(what, input, error);
      return false;
    }
  };

  // Stack traces of the ~20k expected rejections are never read and dominate the run time.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let i = 0; i < iterations; i++) fuzzOne();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return stats;

  function fuzzOne(): void {
    const roll = random.int(10);
    if (roll < 6) {
      const { cert, ca } = random.pick(corpus.certificates);
      const asText = random.int(10) === 0;
      const original = asText ? Buffer.from(formatCertificate(cert)) : cert.raw;
      const input = mutate(original, random);
      let parsed: SshCertificate;
      try {
        parsed = parseCertificate(asText ? input.toString('latin1') : input);
      } catch (error) {
        if (error instanceof SshCertError) stats.rejectedByParse++;
        else unexpected('parseCertificate threw a non-SshCertError', input, error);
        return;
      }
      if (parsed.raw.equals(cert.raw)) {
        stats.unchanged++;
        return;
      }
      try {
        verifyCertificate(parsed, { trustedCaKeys: [ca.publicKey], type: parsed.type, now: 1n });
        unexpected('a mutated certificate verified', input, 'verified');
      } catch (error) {
        // Any other code (expired, principal, ...) would mean the signature check passed.
        if (error instanceof SshCertError && SIGNATURE_FAILURES.has(error.code)) stats.rejectedByVerify++;
        else unexpected('verifyCertificate did not reject the signature', input, error);
      }
    } else if (roll < 8) {
      const key = random.pick(corpus.keys);
      const asText = random.int(2) === 0;
      const input = mutate(asText ? Buffer.from(formatPublicKey(key, 'comment')) : key.blob, random);
      const ok = onlySshCertError('public key parser threw a non-SshCertError', input, () =>
        asText ? parsePublicKey(input.toString('latin1')) : publicKeyFromBlob(input),
      );
      if (ok) stats.acceptedNonCertificates++;
      else stats.rejectedByParse++;
    } else {
      const input = mutate(random.pick(corpus.krls), random);
      if (onlySshCertError('parseKrl threw a non-SshCertError', input, () => parseKrl(input))) stats.acceptedNonCertificates++;
      else stats.rejectedByParse++;
    }
  }
}
