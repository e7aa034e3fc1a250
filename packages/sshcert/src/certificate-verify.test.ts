import { generateKeyPairSync, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCaKey } from './ca-key.ts';
import type { CaSigner } from './ca-key.ts';
import { FOREVER } from './certificate.ts';
import type { CertificateFields, SshCertificate } from './certificate.ts';
import { parseCertificate } from './certificate-parse.ts';
import { signCertificate } from './certificate-sign.ts';
import { verifyCertificate } from './certificate-verify.ts';
import type { VerifyOptions } from './certificate-verify.ts';
import { SshCertError } from './errors.ts';
import { ecdsaCaSigner, rsaCaSigner, sshPublicKeyOf, subjectKey } from './testing/test-ca-signers.ts';
import { WireWriter } from './wire-writer.ts';

const NOW = 1_750_000_000n;

function verifyCode(cert: SshCertificate, options: VerifyOptions): string {
  try {
    verifyCertificate(cert, options);
  } catch (error) {
    if (error instanceof SshCertError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('verifyCertificate', () => {
  let ca: CaSigner;
  let fields: CertificateFields;
  let options: VerifyOptions;
  beforeAll(() => {
    ca = generateCaKey().signer;
    fields = {
      type: 'user', publicKey: subjectKey('ssh-ed25519'), serial: 9n, keyId: 'alice', principals: ['alice', 'ops'],
      validAfter: NOW - 60n, validBefore: NOW + 3600n, criticalOptions: {}, extensions: ['permit-pty'],
    };
    options = { trustedCaKeys: [ca.publicKey], type: 'user', now: NOW, principal: 'alice' };
  });

  it('accepts a good certificate, with a Date or with seconds', () => {
    const cert = parseCertificate(signCertificate(fields, ca).raw);
    expect(verifyCode(cert, options)).toBe('accepted');
    expect(verifyCode(cert, { ...options, now: new Date(Number(NOW) * 1000) })).toBe('accepted');
  });

  it('accepts ECDSA and RSA CA signatures (rsa-sha2-256 and rsa-sha2-512)', () => {
    for (const signer of [ecdsaCaSigner('P-256'), ecdsaCaSigner('P-384'), rsaCaSigner(3072, 'sha256'), rsaCaSigner(3072, 'sha512')]) {
      const cert = parseCertificate(signCertificate(fields, signer).raw);
      expect(verifyCode(cert, { ...options, trustedCaKeys: [signer.publicKey] })).toBe('accepted');
      expect(verifyCode(cert, options)).toBe('ERR_CERT_UNTRUSTED_CA');
    }
  });

  it('rejects a certificate from a CA that is not trusted', () => {
    const other = generateCaKey().signer;
    const cert = signCertificate(fields, other);
    expect(verifyCode(cert, options)).toBe('ERR_CERT_UNTRUSTED_CA');
    expect(verifyCode(cert, { ...options, trustedCaKeys: [] })).toBe('ERR_CERT_UNTRUSTED_CA');
  });

  it('rejects a certificate whose principal bytes were edited (the signature no longer matches)', () => {
    const cert = signCertificate({ ...fields, principals: ['alice', 'guest'] }, ca);
    const raw = Buffer.from(cert.raw);
    const at = raw.indexOf(Buffer.from('guest'));
    raw.write('admin', at, 'latin1');
    const edited = parseCertificate(raw);
    expect(edited.principals).toEqual(['alice', 'admin']);
    expect(verifyCode(edited, { ...options, principal: 'admin' })).toBe('ERR_CERT_SIGNATURE');
  });

  it('rejects a parsed certificate whose fields were changed after parsing', () => {
    const cert = parseCertificate(signCertificate(fields, ca).raw);
    cert.principals.push('root');
    expect(verifyCode(cert, { ...options, principal: 'root' })).toBe('ERR_CERT_SIGNATURE');
    const forged = { ...parseCertificate(signCertificate(fields, ca).raw), type: 'host' as const };
    expect(verifyCode(forged, { ...options, type: 'host' })).toBe('ERR_CERT_SIGNATURE');
  });

  it('rejects a signature whose algorithm does not fit the CA key, and SHA-1 RSA signatures', () => {
    const ed = generateKeyPairSync('ed25519');
    const edKey = sshPublicKeyOf(ed.publicKey);
    const mislabelled: CaSigner = {
      publicKey: edKey,
      sign: (data) => new WireWriter().string('rsa-sha2-256').string(sign(null, data, ed.privateKey)).toBuffer(),
    };
    const cert = signCertificate(fields, mislabelled);
    expect(verifyCode(cert, { ...options, trustedCaKeys: [edKey] })).toBe('ERR_CERT_SIGNATURE');

    const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const rsaKey = sshPublicKeyOf(rsa.publicKey);
    const sha1: CaSigner = { publicKey: rsaKey, sign: (data) => new WireWriter().string('ssh-rsa').string(sign('sha1', data, rsa.privateKey)).toBuffer() };
    expect(verifyCode(signCertificate(fields, sha1), { ...options, trustedCaKeys: [rsaKey] })).toBe('ERR_CERT_SIGNATURE');
  });

  it('rejects an expired certificate, and one at the exact second it expires', () => {
    const cert = signCertificate(fields, ca);
    expect(verifyCode(cert, { ...options, now: NOW + 3600n })).toBe('ERR_CERT_EXPIRED');
    expect(verifyCode(cert, { ...options, now: NOW + 3599n })).toBe('accepted');
  });

  it('rejects a certificate that is not yet valid', () => {
    const cert = signCertificate(fields, ca);
    expect(verifyCode(cert, { ...options, now: NOW - 61n })).toBe('ERR_CERT_NOT_YET_VALID');
    expect(verifyCode(cert, { ...options, now: NOW - 60n })).toBe('accepted');
  });

  it('rejects a host certificate where a user certificate is required, and the reverse', () => {
    expect(verifyCode(signCertificate({ ...fields, type: 'host' }, ca), options)).toBe('ERR_CERT_TYPE');
    expect(verifyCode(signCertificate(fields, ca), { ...options, type: 'host' })).toBe('ERR_CERT_TYPE');
  });

  it('rejects a certificate with no principals, even when no principal is asked for', () => {
    const cert = signCertificate({ ...fields, principals: [] }, ca);
    expect(verifyCode(cert, options)).toBe('ERR_CERT_PRINCIPAL');
    expect(verifyCode(cert, { ...options, principal: undefined })).toBe('ERR_CERT_PRINCIPAL');
  });

  it('rejects a principal the certificate does not list', () => {
    const cert = signCertificate(fields, ca);
    expect(verifyCode(cert, { ...options, principal: 'root' })).toBe('ERR_CERT_PRINCIPAL');
    expect(verifyCode(cert, { ...options, principal: 'ops' })).toBe('accepted');
  });

  it('treats the all-ones valid-before as forever', () => {
    const cert = signCertificate({ ...fields, validBefore: FOREVER }, ca);
    expect(verifyCode(cert, { ...options, now: 0xffff_ffff_ffff_fffen })).toBe('accepted');
  });
});
