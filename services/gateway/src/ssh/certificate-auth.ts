import type { PublicKeyAuthContext } from 'ssh2';
import {
  assertSshSignature,
  parseCertificate,
  sourceAddressAllows,
  verifyCertificate,
  type SshCertificate,
  type SshPublicKey,
  type VerifyOptions,
} from '@access/sshcert';
import { CLOCK_TOLERANCE_MS } from './gateway-keys.ts';

/** Critical options the gateway knows how to enforce; a certificate with any other is refused, as sshd does. */
const ENFORCED_OPTIONS = new Set(['source-address', 'force-command']);

/**
 * `verifyCertificate`, with room for clocks that differ: a certificate that becomes valid at
 * most `toleranceMs` after `now` (the signer's clock is ahead of this one) is checked as of
 * the moment it becomes valid. Expiry is never extended: a certificate valid at that later
 * moment has not expired now either.
 */
export function verifyAllowingSkew(certificate: SshCertificate, options: VerifyOptions & { now: Date; toleranceMs?: number }): void {
  const { toleranceMs = CLOCK_TOLERANCE_MS, ...verify } = options;
  const now = BigInt(Math.floor(options.now.getTime() / 1000));
  const early = certificate.validAfter - now;
  const within = early > 0n && early * 1000n <= BigInt(Math.max(0, Math.floor(toleranceMs)));
  verifyCertificate(certificate, { ...verify, now: within ? certificate.validAfter : now });
}

export type CertificateCheck =
  | { kind: 'query' }
  | { kind: 'verified'; certificate: SshCertificate }
  | { kind: 'refused'; reason: string };

/**
 * Checks a public-key authentication attempt: only a user certificate from a trusted user
 * CA, valid now (or within the clock tolerance of becoming valid), naming at least one principal, with critical options the gateway can
 * enforce and a source-address that allows the client. A plain key is refused. An attempt
 * without a signature is a query (the client asks whether the key would do) and never
 * authenticates; with a signature, it must verify over the session data with the certified key.
 */
export function checkCertificateAuth(
  ctx: Pick<PublicKeyAuthContext, 'key' | 'signature' | 'blob'>,
  options: { trustedCaKeys: readonly SshPublicKey[]; now: Date; clientAddress: string; /** See `verifyAllowingSkew`; CLOCK_TOLERANCE_MS unless given. */ toleranceMs?: number },
): CertificateCheck {
  if (!ctx.key.algo.endsWith('-cert-v01@openssh.com')) {
    return { kind: 'refused', reason: 'a plain key; the gateway takes only certificates from "access login"' };
  }
  let certificate: SshCertificate;
  try {
    certificate = parseCertificate(ctx.key.data);
    verifyAllowingSkew(certificate, { trustedCaKeys: options.trustedCaKeys, type: 'user', now: options.now, toleranceMs: options.toleranceMs });
  } catch (error) {
    return { kind: 'refused', reason: (error as Error).message };
  }
  if (certificate.algorithm !== ctx.key.algo) return { kind: 'refused', reason: 'the key algorithm does not match the certificate' };
  const unknown = Object.keys(certificate.criticalOptions).filter((o) => !ENFORCED_OPTIONS.has(o));
  if (unknown.length > 0) return { kind: 'refused', reason: `the certificate has critical options the gateway cannot enforce: ${unknown.join(', ')}` };
  const source = certificate.criticalOptions['source-address'];
  if (source !== undefined && !sourceAddressAllows(source, options.clientAddress)) {
    return { kind: 'refused', reason: `the certificate's source-address does not allow ${options.clientAddress}` };
  }
  if (!ctx.signature || !ctx.blob) return { kind: 'query' };
  try {
    assertSshSignature(certificate.publicKey, ctx.blob, ctx.signature);
  } catch {
    return { kind: 'refused', reason: 'the signature does not verify with the certified key' };
  }
  return { kind: 'verified', certificate };
}
