/**
 * Ed25519 keys with OpenSSH certificates, in the shapes ssh2 takes. Upstream ssh2 has no
 * certificate support; these values only work with the pinned, patched ssh2
 * (`patches/ssh2+1.17.0.patch`, applied by the root `postinstall`), which names a
 * certificate's signatures with the plain algorithm and verifies a host certificate's
 * key-exchange signature with the certified key. `test/conformance/ssh2-certificates.test.ts`
 * pins that behaviour against real OpenSSH.
 */
import ssh2 from 'ssh2';
import type { ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import { parseCertificate, type CertType, type SshCertificate } from '@access/sshcert';

export const ED25519_CERT_ALGORITHM = 'ssh-ed25519-cert-v01@openssh.com';

/**
 * For a `Client`'s `algorithms.serverHostKey`: accept only hosts that present an Ed25519
 * host certificate (a host without one fails key exchange instead of falling back to a
 * bare key). ssh2 hands the certificate to `hostVerifier`, which must check it.
 * @types/ssh2 does not list certificate algorithms, hence the widening cast.
 */
export const HOST_CERT_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = Object.freeze([
  ED25519_CERT_ALGORITHM as string as ServerHostKeyAlgorithm,
]);

export type CertificateKeyErrorCode =
  | 'ERR_KEY_UNREADABLE'
  | 'ERR_KEY_UNSUPPORTED'
  | 'ERR_CERT_UNREADABLE'
  | 'ERR_CERT_TYPE'
  | 'ERR_CERT_KEY_MISMATCH';

export class CertificateKeyError extends Error {
  readonly code: CertificateKeyErrorCode;

  constructor(code: CertificateKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateKeyError';
    this.code = code;
  }
}

/**
 * A private key that authenticates with its user certificate. Use it as the key of a
 * publickey attempt in `authHandler` (not as `privateKey`, which ssh2 only takes as text):
 *
 *   const key = clientKeyWithCertificate(privateKeyText, certificateLine);
 *   const method: PublicKeyAuthMethod = { type: 'publickey', username, key };
 *   client.connect({ host, port, username, authHandler: [method] });
 *
 * (The typed variable is for @types/ssh2, which types that array as the base `AuthMethod`.)
 * At runtime `key.type` is the certificate algorithm, which @types/ssh2's `KeyType` does
 * not list.
 */
export function clientKeyWithCertificate(privateKey: string | Buffer, certificate: string): ParsedKey {
  return withCertificate(privateKey, certificate, 'user');
}

/**
 * A host key that presents its host certificate, for a `Server`'s `hostKeys`:
 *
 *   new Server({ hostKeys: [hostKeyWithCertificate(hostKeyText, hostCertLine)] }, onClient);
 *
 * ssh2 then offers only the certificate algorithm for this key; add the plain key text to
 * `hostKeys` as well to also serve clients that do not trust the host CA. The `{ key }`
 * wrapper matters: ssh2 reads any `hostKeys` entry that is not text as `{ key, passphrase }`.
 */
export function hostKeyWithCertificate(privateKey: string | Buffer, certificate: string): { key: ParsedKey } {
  return { key: withCertificate(privateKey, certificate, 'host') };
}

function withCertificate(privateKey: string | Buffer, certificate: string, type: CertType): ParsedKey {
  const key = readPrivateKey(privateKey);
  const cert = readCertificate(certificate);
  if (cert.algorithm !== ED25519_CERT_ALGORITHM) {
    throw new CertificateKeyError('ERR_KEY_UNSUPPORTED', `Only ${ED25519_CERT_ALGORITHM} certificates are supported; this is ${cert.algorithm}`);
  }
  if (cert.type !== type) {
    throw new CertificateKeyError('ERR_CERT_TYPE', `This is a ${cert.type} certificate; a ${type} certificate is required`);
  }
  if (!cert.publicKey.blob.equals(key.getPublicSSH())) {
    throw new CertificateKeyError('ERR_CERT_KEY_MISMATCH', 'The certificate is for another key than this private key');
  }
  const blob = Buffer.from(cert.raw);
  // ssh2 knows its parsed keys by a marker it reads through the prototype chain, so an
  // object inheriting from the parsed key still signs with its private half, while ssh2
  // takes the algorithm name from `type` and sends `getPublicSSH()` as the public key.
  const certified: ParsedKey = Object.create(key, {
    type: { value: cert.algorithm, enumerable: true },
    getPublicSSH: { value: () => Buffer.from(blob) },
  });
  return certified;
}

function readPrivateKey(privateKey: string | Buffer): ParsedKey {
  const key = ssh2.utils.parseKey(privateKey);
  if (key instanceof Error) {
    throw new CertificateKeyError('ERR_KEY_UNREADABLE', 'The private key could not be read (encrypted keys are not supported)', { cause: key });
  }
  if (!key.isPrivateKey()) throw new CertificateKeyError('ERR_KEY_UNREADABLE', 'This is a public key; a private key is required');
  if (key.type !== 'ssh-ed25519') throw new CertificateKeyError('ERR_KEY_UNSUPPORTED', `Only Ed25519 keys are supported; this is ${key.type}`);
  return key;
}

function readCertificate(certificate: string): SshCertificate {
  try {
    return parseCertificate(certificate);
  } catch (error) {
    throw new CertificateKeyError('ERR_CERT_UNREADABLE', 'The certificate could not be read', { cause: error });
  }
}
