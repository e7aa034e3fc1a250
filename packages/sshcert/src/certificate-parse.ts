import { SshCertError, quote } from './errors.ts';
import type { CertType, SshCertificate } from './certificate.ts';
import { decodeCriticalOptions, decodeExtensions } from './certificate-options.ts';
import { KEY_FIELD_COUNT, keyTypeOfCertAlgorithm } from './key-types.ts';
import { splitKeyLine } from './openssh-text.ts';
import { publicKeyFromBlob } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { WireReader } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

/** OpenSSH refuses certificates with more principals than this (SSHKEY_CERT_MAX_PRINCIPALS). */
const MAX_PRINCIPALS = 256;
const MAX_BLOB = 256 * 1024;

/**
 * Parses a certificate from its one-line text form or its raw blob. Strict:
 * anything that is not exactly one well-formed certificate is ERR_CERT_MALFORMED.
 * Parsing checks structure only; call verifyCertificate before trusting it.
 */
export function parseCertificate(text: string | Buffer): SshCertificate {
  try {
    if (typeof text !== 'string' && text[0] === 0) return parseBlob(text);
    const line = splitKeyLine(text, 'ERR_CERT_MALFORMED', 'The certificate');
    const cert = parseBlob(line.blob);
    if (cert.algorithm !== line.type) malformed(`the text says ${quote(line.type)} but the blob holds ${cert.algorithm}`);
    return cert;
  } catch (error) {
    if (error instanceof SshCertError && error.code === 'ERR_CERT_MALFORMED') throw error;
    const detail = error instanceof SshCertError ? `: ${error.message}` : '';
    throw new SshCertError('ERR_CERT_MALFORMED', `The certificate could not be read${detail}`, { cause: error });
  }
}

function parseBlob(input: Buffer): SshCertificate {
  if (input.length > MAX_BLOB) malformed('it is too large');
  const raw = Buffer.from(input);
  const reader = new WireReader(raw, 'ERR_CERT_MALFORMED', 'The certificate');
  const algorithm = reader.string('algorithm').toString('latin1');
  const keyType = keyTypeOfCertAlgorithm(algorithm);
  if (keyType === undefined) malformed(`certificate algorithm ${quote(algorithm)} is not supported`);
  const nonce = reader.string('nonce');

  const keyStart = reader.offset;
  for (let i = 0; i < KEY_FIELD_COUNT[keyType]; i++) reader.string('public key field');
  const keyBlob = new WireWriter().string(keyType).raw(raw.subarray(keyStart, reader.offset)).toBuffer();
  const publicKey = embeddedKey(keyBlob, 'certified key');

  const serial = reader.u64('serial');
  const type = certType(reader.u32('type'));
  const keyId = reader.text('key id');
  const principals = readPrincipals(reader.string('principals'));
  const validAfter = reader.u64('valid after');
  const validBefore = reader.u64('valid before');
  const criticalOptions = decodeCriticalOptions(reader.string('critical options'));
  const extensions = decodeExtensions(reader.string('extensions'));
  reader.string('reserved');
  const signatureKey = embeddedKey(reader.string('signature key'), 'CA key');
  const signedLength = reader.offset;
  const signature = reader.string('signature');
  reader.end();
  const signatureReader = new WireReader(signature, 'ERR_CERT_MALFORMED', 'The certificate signature');
  signatureReader.string('signature algorithm');
  signatureReader.string('signature bytes');
  signatureReader.end();

  return {
    algorithm,
    type,
    publicKey,
    serial,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    nonce: Buffer.from(nonce),
    signatureKey,
    raw,
    signedBytes: raw.subarray(0, signedLength),
    signature,
  };
}

function certType(code: number): CertType {
  if (code === 1) return 'user';
  if (code === 2) return 'host';
  return malformed(`certificate type ${code} is neither user (1) nor host (2)`);
}

function readPrincipals(bytes: Buffer): string[] {
  const reader = new WireReader(bytes, 'ERR_CERT_MALFORMED', "The certificate's principals");
  const principals: string[] = [];
  while (reader.remaining > 0) {
    if (principals.length === MAX_PRINCIPALS) reader.fail(`more than ${MAX_PRINCIPALS} principals`);
    principals.push(reader.text('principal'));
  }
  return principals;
}

function embeddedKey(blob: Buffer, what: string): SshPublicKey {
  try {
    return publicKeyFromBlob(blob);
  } catch (error) {
    const reason = error instanceof SshCertError ? error.message : 'it could not be read';
    throw new SshCertError('ERR_CERT_MALFORMED', `The certificate's ${what} is not acceptable: ${reason}`, { cause: error });
  }
}

function malformed(problem: string): never {
  throw new SshCertError('ERR_CERT_MALFORMED', `The certificate is malformed: ${problem}`);
}
