import { describe, expect, it } from 'vitest';
import { generateCaKey } from './ca-key.ts';
import type { CaSigner } from './ca-key.ts';
import { FOREVER, formatCertificate } from './certificate.ts';
import type { CertificateFields } from './certificate.ts';
import { parseCertificate } from './certificate-parse.ts';
import { signCertificate } from './certificate-sign.ts';
import { SshCertError } from './errors.ts';
import { subjectKey } from './testing/test-ca-signers.ts';
import { WireWriter } from './wire-writer.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof SshCertError ? error.code : `not an SshCertError: ${String(error)}`;
  }
  return 'accepted';
}

/** Re-signs a hand-built body, so that only the structure under test is wrong. */
function signedBody(ca: CaSigner, build: (w: WireWriter) => WireWriter): Buffer {
  const body = build(new WireWriter()).string(ca.publicKey.blob).toBuffer();
  return Buffer.concat([body, new WireWriter().string(ca.sign(body)).toBuffer()]);
}

describe('parseCertificate', () => {
  const ca = generateCaKey().signer;
  const key = subjectKey('ssh-ed25519');
  const fields: CertificateFields = {
    type: 'user', publicKey: key, serial: 1n, keyId: 'id', principals: ['alice'], validAfter: 0n, validBefore: FOREVER,
    criticalOptions: { 'verify-required': '', 'force-command': 'ls' }, extensions: ['permit-pty'],
  };
  const keyField = key.blob.subarray(4 + 'ssh-ed25519'.length);
  const start = (w: WireWriter, type = 1): WireWriter =>
    w.string('ssh-ed25519-cert-v01@openssh.com').string(Buffer.alloc(32)).raw(keyField).u64(1n).u32(type).string('id')
      .string(new WireWriter().string('alice').toBuffer()).u64(0n).u64(FOREVER);
  const options = (...names: string[]): Buffer => {
    const w = new WireWriter();
    for (const name of names) w.string(name).string(Buffer.alloc(0));
    return w.toBuffer();
  };

  it('reads the text form, the raw blob and a Buffer holding the text to the same certificate', () => {
    const cert = signCertificate(fields, ca);
    const fromText = parseCertificate(formatCertificate(cert, 'note'));
    expect(fromText.raw.equals(cert.raw)).toBe(true);
    expect(parseCertificate(cert.raw).criticalOptions).toEqual({ 'force-command': 'ls', 'verify-required': '' });
    expect(parseCertificate(Buffer.from(formatCertificate(cert))).keyId).toBe('id');
  });

  it('accepts a well-formed hand-built certificate (the baseline for the cases below)', () => {
    const raw = signedBody(ca, (w) => start(w).string(options('verify-required')).string(options('permit-pty')).string(Buffer.alloc(0)));
    expect(codeOf(() => parseCertificate(raw))).toBe('accepted');
  });

  it.each([
    ['unsorted critical options', (w: WireWriter) => start(w).string(options('verify-required', 'force-command')).string(Buffer.alloc(0)).string(Buffer.alloc(0))],
    ['a repeated extension', (w: WireWriter) => start(w).string(Buffer.alloc(0)).string(options('permit-pty', 'permit-pty')).string(Buffer.alloc(0))],
    ['a certificate type of 3', (w: WireWriter) => start(w, 3).string(Buffer.alloc(0)).string(Buffer.alloc(0)).string(Buffer.alloc(0))],
    ['a known extension carrying data', (w: WireWriter) => start(w).string(Buffer.alloc(0)).string(new WireWriter().string('permit-pty').string('x').toBuffer()).string(Buffer.alloc(0))],
    ['a critical option value with trailing bytes', (w: WireWriter) => start(w).string(new WireWriter().string('force-command').string(Buffer.concat([new WireWriter().string('ls').toBuffer(), Buffer.alloc(1)])).toBuffer()).string(Buffer.alloc(0)).string(Buffer.alloc(0))],
  ])('rejects %s as malformed even when correctly signed', (_, build) => {
    expect(codeOf(() => parseCertificate(signedBody(ca, build)))).toBe('ERR_CERT_MALFORMED');
  });

  it('rejects an unknown algorithm, trailing bytes, truncation and a certificate as its own CA key', () => {
    const raw = signCertificate(fields, ca).raw;
    const renamed = Buffer.from(raw);
    renamed.write('ssh-ed25518', 4, 'latin1');
    expect(codeOf(() => parseCertificate(renamed))).toBe('ERR_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(Buffer.concat([raw, Buffer.alloc(1)])))).toBe('ERR_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(raw.subarray(0, raw.length - 1)))).toBe('ERR_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(`ssh-rsa-cert-v01@openssh.com ${raw.toString('base64')}`))).toBe('ERR_CERT_MALFORMED');
    const certAsCa = signedBody({ ...ca, publicKey: { ...ca.publicKey, blob: raw } }, (w) => start(w).string(Buffer.alloc(0)).string(Buffer.alloc(0)).string(Buffer.alloc(0)));
    expect(codeOf(() => parseCertificate(certAsCa))).toBe('ERR_CERT_MALFORMED');
  });

  it('rejects hostile lengths quickly and without allocating', () => {
    const hostile = new WireWriter().u32(0xffff_fff0).toBuffer();
    expect(codeOf(() => parseCertificate(hostile))).toBe('ERR_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate('ssh-ed25519-cert-v01@openssh.com ////'))).toBe('ERR_CERT_MALFORMED');
    expect(codeOf(() => parseCertificate('x'.repeat(10_000_000)))).toBe('ERR_CERT_MALFORMED');
  });
});
