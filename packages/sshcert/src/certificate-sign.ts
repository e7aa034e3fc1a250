import { randomBytes } from 'node:crypto';
import type { CaSigner } from './ca-key.ts';
import { CERT_TYPE_CODE } from './certificate.ts';
import type { CertificateFields, SshCertificate } from './certificate.ts';
import { encodeCriticalOptions, encodeExtensions } from './certificate-options.ts';
import { certAlgorithmFor } from './key-types.ts';
import { WireReader } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * Encodes and signs a certificate exactly as given. This applies no policy
 * (see policy.ts); tests use it to build deliberately bad certificates.
 */
export function signCertificate(fields: CertificateFields, ca: CaSigner): SshCertificate {
  for (const [name, value] of [['serial', fields.serial], ['validAfter', fields.validAfter], ['validBefore', fields.validBefore]] as const) {
    if (value < 0n || value > U64_MAX) throw new RangeError(`${name} must fit in an unsigned 64-bit integer`);
  }
  const algorithm = certAlgorithmFor(fields.publicKey.type);
  const nonce = fields.nonce ?? randomBytes(32);
  const keyFields = keyFieldsOf(fields.publicKey.blob);
  const principals = new WireWriter();
  for (const principal of fields.principals) principals.string(principal);

  const signedBytes = new WireWriter()
    .string(algorithm)
    .string(nonce)
    .raw(keyFields)
    .u64(fields.serial)
    .u32(CERT_TYPE_CODE[fields.type])
    .string(fields.keyId)
    .string(principals.toBuffer())
    .u64(fields.validAfter)
    .u64(fields.validBefore)
    .string(encodeCriticalOptions(fields.criticalOptions))
    .string(encodeExtensions(fields.extensions))
    .string(Buffer.alloc(0))
    .string(ca.publicKey.blob)
    .toBuffer();
  const signature = ca.sign(signedBytes);
  const raw = Buffer.concat([signedBytes, new WireWriter().string(signature).toBuffer()]);

  return {
    algorithm,
    type: fields.type,
    publicKey: fields.publicKey,
    serial: fields.serial,
    keyId: fields.keyId,
    principals: [...fields.principals],
    validAfter: fields.validAfter,
    validBefore: fields.validBefore,
    criticalOptions: { ...fields.criticalOptions },
    extensions: [...new Set(fields.extensions)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    nonce: Buffer.from(nonce),
    signatureKey: ca.publicKey,
    raw,
    signedBytes: raw.subarray(0, signedBytes.length),
    signature: Buffer.from(signature),
  };
}

/** A key blob without its leading type name: the layout a certificate embeds. */
function keyFieldsOf(blob: Buffer): Buffer {
  const reader = new WireReader(blob, 'ERR_KEY_MALFORMED', 'The public key');
  reader.string('key type');
  return blob.subarray(reader.offset);
}
