import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCaKey, signCertificate, type CaSigner, type CertificateFields } from '@access/sshcert';
import { checkCertificateAuth } from './certificate-auth.ts';

const now = new Date('2026-11-23T12:00:00Z');
const seconds = BigInt(now.getTime() / 1000);
const userCa = generateCaKey('user ca').signer;
const otherCa = generateCaKey('other ca').signer;
const engineer = generateCaKey('engineer').signer;

function certificate(fields: Partial<CertificateFields> = {}, ca: CaSigner = userCa) {
  return signCertificate(
    {
      type: 'user',
      publicKey: engineer.publicKey,
      serial: 7n,
      keyId: 'alice@example.com',
      principals: ['alice'],
      validAfter: seconds - 60n,
      validBefore: seconds + 3600n,
      criticalOptions: {},
      extensions: ['permit-pty'],
      ...fields,
    },
    ca,
  );
}

/** What ssh2 hands the gateway for a public-key attempt with this certificate. */
function attempt(cert: ReturnType<typeof certificate>, signed: 'none' | 'valid' | 'other-key' | 'other-data') {
  const blob = randomBytes(64);
  const ctx = { key: { algo: cert.algorithm, data: cert.raw } } as { key: { algo: string; data: Buffer }; blob?: Buffer; signature?: Buffer };
  if (signed === 'none') return ctx;
  const signer = signed === 'other-key' ? generateCaKey().signer : engineer;
  ctx.blob = blob;
  ctx.signature = signer.sign(signed === 'other-data' ? randomBytes(64) : blob);
  return ctx;
}

const options = { trustedCaKeys: [userCa.publicKey], now, clientAddress: '10.0.0.5' };

describe('checkCertificateAuth', () => {
  it('authenticates a user certificate from the user CA with a signature by the certified key', () => {
    const result = checkCertificateAuth(attempt(certificate(), 'valid') as never, options);
    expect(result.kind).toBe('verified');
    expect(result.kind === 'verified' && result.certificate.keyId).toBe('alice@example.com');
  });

  it('never authenticates an offer without a signature: it is only a query', () => {
    expect(checkCertificateAuth(attempt(certificate(), 'none') as never, options)).toEqual({ kind: 'query' });
  });

  it.each([
    ['a signature by another key', 'other-key'],
    ['a signature over other data', 'other-data'],
  ] as const)('refuses %s', (_name, signed) => {
    const result = checkCertificateAuth(attempt(certificate(), signed) as never, options);
    expect(result).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/signature/) });
  });

  it('refuses a plain key, even one whose certificate would be good', () => {
    const result = checkCertificateAuth({ key: { algo: 'ssh-ed25519', data: engineer.publicKey.blob } } as never, options);
    expect(result).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/plain key/) });
  });

  it.each([
    ['another CA', certificate({}, otherCa), /not trusted/],
    ['a host certificate', certificate({ type: 'host', principals: ['web-1'], extensions: [] }), /host certificate/],
    ['an expired certificate', certificate({ validBefore: seconds - 1n }), /expired|no longer valid|valid/i],
    ['a certificate not valid yet', certificate({ validAfter: seconds + 600n }), /not yet valid|valid/i],
    ['a certificate without principals', certificate({ principals: [] }), /principal/],
    ['a critical option the gateway cannot enforce', certificate({ criticalOptions: { 'verify-required': '' } }), /cannot enforce: verify-required/],
    ['a source-address that does not allow the client', certificate({ criticalOptions: { 'source-address': '192.168.0.0/16' } }), /source-address does not allow 10\.0\.0\.5/],
  ])('refuses %s, before looking at any signature', (_name, cert, reason) => {
    const result = checkCertificateAuth(attempt(cert, 'valid') as never, options);
    expect(result).toMatchObject({ kind: 'refused', reason: expect.stringMatching(reason) });
    expect(checkCertificateAuth(attempt(cert, 'none') as never, options).kind).toBe('refused');
  });

  it('accepts a source-address that allows the client, and a force-command it will enforce', () => {
    const cert = certificate({ criticalOptions: { 'force-command': 'uptime', 'source-address': '10.0.0.0/8' } });
    expect(checkCertificateAuth(attempt(cert, 'valid') as never, options).kind).toBe('verified');
  });

  describe('clocks that differ', () => {
    it('accepts a certificate that becomes valid within the tolerance: the CA\'s clock is ahead of the gateway\'s', () => {
      const cert = certificate({ validAfter: seconds + 299n });
      expect(checkCertificateAuth(attempt(cert, 'valid') as never, options).kind).toBe('verified');
      expect(checkCertificateAuth(attempt(cert, 'valid') as never, { ...options, toleranceMs: 299_000 }).kind).toBe('verified');
    });

    it('refuses one that becomes valid later than the tolerance', () => {
      const cert = certificate({ validAfter: seconds + 301n });
      expect(checkCertificateAuth(attempt(cert, 'valid') as never, options)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/not valid until/) });
      expect(checkCertificateAuth(attempt(certificate({ validAfter: seconds + 1n }), 'valid') as never, { ...options, toleranceMs: 0 }).kind).toBe('refused');
    });

    it('never extends expiry, whatever the tolerance', () => {
      const expired = certificate({ validAfter: seconds - 3600n, validBefore: seconds });
      expect(checkCertificateAuth(attempt(expired, 'valid') as never, options)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/expired/) });
      // Not valid yet, and its window is over before it opens: refused, not accepted as of its start.
      const empty = certificate({ validAfter: seconds + 60n, validBefore: seconds + 60n });
      expect(checkCertificateAuth(attempt(empty, 'valid') as never, options)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/expired/) });
    });
  });
});
