import type { PublicKeyAuthContext } from 'ssh2';
import {
  assertSshSignature,
  parseCertificate,
  sourceAddressAllows,
  verifyCertificate,
  type SshCertificate,
  type SshPublicKey,
} from '@access/sshcert';

/** Critical options the gateway knows how to enforce; a certificate with any other is refused, as sshd does. */
const ENFORCED_OPTIONS = new Set(['source-address', 'force-command']);

export type CertificateCheck =
  | { kind: 'query' }
  | { kind: 'verified'; certificate: SshCertificate }
  | { kind: 'refused'; reason: string };

/**
 * Checks a public-key authentication attempt: only a user certificate from a trusted user
 * CA, valid now, naming at least one principal, with critical options the gateway can
 * enforce and a source-address that allows the client. A plain key is refused. An attempt
 * without a signature is a query (the client asks whether the key would do) and never
 * authenticates; with a signature, it must verify over the session data with the certified key.
 */
export function checkCertificateAuth(
  ctx: Pick<PublicKeyAuthContext, 'key' | 'signature' | 'blob'>,
  options: { trustedCaKeys: readonly SshPublicKey[]; now: Date; clientAddress: string },
): CertificateCheck {
  if (!ctx.key.algo.endsWith('-cert-v01@openssh.com')) {
    return { kind: 'refused', reason: 'a plain key; the gateway takes only certificates from "access login"' };
  }
  let certificate: SshCertificate;
  try {
    certificate = parseCertificate(ctx.key.data);
    verifyCertificate(certificate, { trustedCaKeys: options.trustedCaKeys, type: 'user', now: options.now });
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
