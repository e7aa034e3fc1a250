import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCaKey } from './ca-key.ts';
import type { CaSigner } from './ca-key.ts';
import { FOREVER, formatCertificate } from './certificate.ts';
import { signCertificate } from './certificate-sign.ts';
import { SshCertError } from './errors.ts';
import { encodeKrl } from './krl.ts';
import type { KrlSpec } from './krl.ts';
import { parseKrl } from './krl-parse.ts';
import { formatPublicKey } from './public-key.ts';
import type { SshPublicKey } from './public-key.ts';
import { TempDir, sshKeygen, sshKeygenOk } from './testing/ssh-keygen.ts';
import { subjectKey } from './testing/test-ca-signers.ts';

const EMPTY: KrlSpec = { version: 0n, generatedAt: 0n, comment: '', certificates: [], revokedKeys: [] };

describe('KRLs checked by ssh-keygen -Q', () => {
  let dir: TempDir;
  let ca: CaSigner;
  let otherCa: CaSigner;
  let revokedKey: SshPublicKey;
  const certs = new Map<string, string>();

  async function issue(name: string, signer: CaSigner, serial: bigint, keyId: string, key: SshPublicKey = subjectKey('ssh-ed25519')): Promise<void> {
    const cert = signCertificate(
      { type: 'user', publicKey: key, serial, keyId, principals: ['p'], validAfter: 0n, validBefore: FOREVER, criticalOptions: {}, extensions: [] },
      signer,
    );
    certs.set(name, await dir.write(`${name}-cert.pub`, `${formatCertificate(cert)}\n`));
  }

  /** Writes the KRL and asks ssh-keygen -Q about each named certificate. */
  async function check(spec: KrlSpec, names: readonly string[]): Promise<Record<string, string>> {
    const krl = await dir.write('test.krl', encodeKrl(spec));
    const verdicts: Record<string, string> = {};
    for (const name of names) {
      const result = await sshKeygen(['-Q', '-f', krl, certs.get(name) ?? '']);
      const word = /: (ok|REVOKED)$/m.exec(result.stdout)?.[1];
      if (!((word === 'ok' && result.code === 0) || (word === 'REVOKED' && result.code === 1))) {
        throw new Error(`unexpected ssh-keygen -Q result for ${name}: ${result.code} ${result.stdout} ${result.stderr}`);
      }
      verdicts[name] = word;
    }
    return verdicts;
  }

  beforeAll(async () => {
    dir = await TempDir.create();
    ca = generateCaKey().signer;
    otherCa = generateCaKey().signer;
    revokedKey = subjectKey('ecdsa-sha2-nistp256');
    await issue('serial10', ca, 10n, 'alice');
    await issue('serial20', ca, 20n, 'bob');
    await issue('serial150', ca, 150n, 'carol');
    await issue('serial250', ca, 250n, 'dave');
    await issue('other10', otherCa, 10n, 'erin');
    await issue('otherMallory', otherCa, 300n, 'mallory');
    await issue('revokedKey', ca, 400n, 'frank', revokedKey);
    await issue('serial0', ca, 0n, 'zero');
  });
  afterAll(() => dir.remove());

  it('revokes by serial, serial range, key id for any CA and explicit key, and nothing else', async () => {
    const spec: KrlSpec = {
      ...EMPTY,
      certificates: [
        { caKey: ca.publicKey, serials: [10n], serialRanges: [[100n, 200n]], keyIds: [] },
        { caKey: null, serials: [], serialRanges: [], keyIds: ['mallory'] },
      ],
      revokedKeys: [revokedKey],
    };
    expect(await check(spec, [...certs.keys()])).toEqual({
      serial10: 'REVOKED', serial20: 'ok', serial150: 'REVOKED', serial250: 'ok', other10: 'ok',
      otherMallory: 'REVOKED', revokedKey: 'REVOKED', serial0: 'ok',
    });
  });

  it('revokes by key id only for the named CA', async () => {
    const spec: KrlSpec = { ...EMPTY, certificates: [{ caKey: otherCa.publicKey, serials: [], serialRanges: [], keyIds: ['alice', 'erin', 'zero'] }] };
    expect(await check(spec, ['serial10', 'other10', 'serial0'])).toEqual({ serial10: 'ok', other10: 'REVOKED', serial0: 'ok' });
  });

  it('revokes serials for any CA when the CA key is empty (OpenSSH 9.2 accepts this)', async () => {
    const spec: KrlSpec = { ...EMPTY, certificates: [{ caKey: null, serials: [10n], serialRanges: [], keyIds: [] }] };
    expect(await check(spec, ['serial10', 'other10', 'serial20'])).toEqual({ serial10: 'REVOKED', other10: 'REVOKED', serial20: 'ok' });
  });

  it('loads overlapping ranges, repeated serials and split sections for one CA', async () => {
    const spec: KrlSpec = {
      ...EMPTY,
      certificates: [
        { caKey: ca.publicKey, serials: [150n, 150n, 20n], serialRanges: [[100n, 200n], [150n, 260n]], keyIds: [] },
        { caKey: ca.publicKey, serials: [], serialRanges: [[1n, 10n]], keyIds: ['bob'] },
      ],
    };
    expect(await check(spec, ['serial10', 'serial20', 'serial150', 'serial250', 'other10'])).toEqual({
      serial10: 'REVOKED', serial20: 'REVOKED', serial150: 'REVOKED', serial250: 'REVOKED', other10: 'ok',
    });
  });

  it('an empty KRL is valid and revokes nothing', async () => {
    expect(await check(EMPTY, ['serial10', 'serial0'])).toEqual({ serial10: 'ok', serial0: 'ok' });
    const listed = await sshKeygenOk(['-Q', '-l', '-f', dir.file('test.krl')]);
    expect(listed).toContain('# KRL version 0');
  });

  it('refuses to encode serial 0 and backwards ranges, which OpenSSH would reject', async () => {
    const codeOf = (spec: KrlSpec): string => {
      try {
        encodeKrl(spec);
        return 'accepted';
      } catch (error) {
        return error instanceof SshCertError ? error.code : 'other';
      }
    };
    expect(codeOf({ ...EMPTY, certificates: [{ caKey: ca.publicKey, serials: [0n], serialRanges: [], keyIds: [] }] })).toBe('ERR_KRL_INVALID');
    expect(codeOf({ ...EMPTY, certificates: [{ caKey: ca.publicKey, serials: [], serialRanges: [[5n, 4n]], keyIds: [] }] })).toBe('ERR_KRL_INVALID');
    expect(codeOf({ ...EMPTY, comment: 'a\0b' })).toBe('ERR_KRL_INVALID');
    // Evidence for the rules above: OpenSSH refuses a KRL whose serial list holds 0.
    const good = encodeKrl({ ...EMPTY, certificates: [{ caKey: ca.publicKey, serials: [7n], serialRanges: [], keyIds: [] }] });
    const zeroed = Buffer.from(good);
    zeroed.writeBigUInt64BE(0n, zeroed.length - 8);
    const path = await dir.write('zero.krl', zeroed);
    expect((await sshKeygen(['-Q', '-f', path, certs.get('serial20') ?? ''])).code).toBe(255);
  });

  it('round-trips through parseKrl', () => {
    const spec: KrlSpec = {
      version: 42n,
      generatedAt: 1_750_000_000n,
      comment: 'weekly',
      certificates: [
        { caKey: ca.publicKey, serials: [3n, 10n, 0xffff_ffff_ffff_ffffn], serialRanges: [[100n, 200n], [150n, 260n]], keyIds: ['alice', 'bob'] },
        { caKey: null, serials: [], serialRanges: [], keyIds: ['mallory'] },
      ],
      revokedKeys: [revokedKey],
    };
    const parsed = parseKrl(encodeKrl(spec));
    expect({ ...parsed, certificates: parsed.certificates.map((s) => ({ ...s, caKey: s.caKey?.blob.toString('base64') ?? null })), revokedKeys: parsed.revokedKeys.map((k) => formatPublicKey(k, '')) }).toEqual({
      ...spec,
      certificates: spec.certificates.map((s) => ({ ...s, caKey: s.caKey?.blob.toString('base64') ?? null })),
      revokedKeys: [formatPublicKey(revokedKey, '')],
    });
    expect(parseKrl(encodeKrl(EMPTY))).toEqual(EMPTY);
  });

  it('parses a KRL written by ssh-keygen -k, including its serial bitmap', async () => {
    const caPath = await dir.write('ca.pub', `${formatPublicKey(ca.publicKey)}\n`);
    const keyPath = await dir.write('revoked.pub', `${formatPublicKey(revokedKey)}\n`);
    const specText = ['serial: 1', 'serial: 3', 'serial: 5-9', 'serial: 12', 'serial: 1000-2000', 'id: alice', 'id: bob'].join('\n');
    const specPath = await dir.write('spec.txt', `${specText}\n`);
    const krlPath = dir.file('keygen.krl');
    await sshKeygenOk(['-k', '-f', krlPath, '-z', '7', '-s', caPath, specPath]);
    await sshKeygenOk(['-k', '-u', '-f', krlPath, keyPath]);
    const { readFile } = await import('node:fs/promises');
    const parsed = parseKrl(await readFile(krlPath));
    const section = parsed.certificates[0];
    expect(parsed.certificates).toHaveLength(1);
    expect(section?.caKey?.blob.equals(ca.publicKey.blob)).toBe(true);
    const covered = new Set<bigint>(section?.serials ?? []);
    for (const [lo, hi] of section?.serialRanges ?? []) for (let s = lo; s <= hi; s++) covered.add(s);
    const expected = [1n, 3n, 5n, 6n, 7n, 8n, 9n, 12n];
    for (let s = 1000n; s <= 2000n; s++) expected.push(s);
    expect([...covered].sort((a, b) => (a < b ? -1 : 1))).toEqual(expected);
    expect(section?.keyIds).toEqual(['alice', 'bob']);
    expect(parsed.revokedKeys.map((k) => k.blob.toString('base64'))).toEqual([revokedKey.blob.toString('base64')]);
  });

  it('rejects garbage with ERR_KRL_INVALID', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('SSHKRL\n\0'), Buffer.from('hello world'), encodeKrl(EMPTY).subarray(0, 30)]) {
      expect(() => parseKrl(data)).toThrow(SshCertError);
    }
  });
});
