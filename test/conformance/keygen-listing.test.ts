/**
 * What `ssh-keygen -L` (OpenSSH 9.2) reads out of the CA's certificates: exactly the fields
 * that were asked for, the documented defaults, and the documented validity window
 * (valid from 5 minutes before issuance, to issuance + ttl).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessApi, type UserCertRequest } from '../support/access-api.ts';
import { accessCliOk, initDataDir, startAccessServer, type AccessServerHandle } from '../support/access-server.ts';
import { generateKeyPair } from '../support/ssh-client.ts';
import { fingerprintOf, keygenList, parseKeygenListing, type KeygenListing } from '../support/ssh-keygen.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

/** The clock skew the CA documents: `valid_after` is backdated by this much. */
const SKEW_SECONDS = 300;

describe('ssh-keygen -L on certificates from the CA', () => {
  let dir: string;
  let dataDir: string;
  let server: AccessServerHandle;
  let api: AccessApi;
  let userCaFingerprint: string;

  /** Signs through POST /v1/certs/user, bracketing the issuance time in whole seconds. */
  async function issueAndList(name: string, request: Omit<UserCertRequest, 'publicKey'>) {
    const key = await generateKeyPair(dir, name);
    const before = Math.floor(Date.now() / 1000);
    const issued = await api.issueUser({ publicKey: key.publicKey, ...request });
    const after = Math.ceil(Date.now() / 1000);
    writeFileSync(key.certificatePath, `${issued.certificate}\n`);
    const listing = parseKeygenListing(await keygenList(key.certificatePath));
    expect(listing.publicKeyFingerprint).toBe(await fingerprintOf(key.publicKeyPath));
    return { issued, listing, before, after, key };
  }

  /** valid from = issuance − 5 min, valid to = issuance + ttl, for an issuance in [before, after]. */
  function expectWindow(listing: KeygenListing, ttlSeconds: number, before: number, after: number): void {
    const from = listing.validFrom!.getTime() / 1000;
    const to = listing.validTo!.getTime() / 1000;
    expect(to - from).toBe(ttlSeconds + SKEW_SECONDS);
    const issuedAt = from + SKEW_SECONDS;
    expect(issuedAt).toBeGreaterThanOrEqual(before);
    expect(issuedAt).toBeLessThanOrEqual(after);
  }

  beforeAll(async () => {
    dir = makeTempDir('keygen-listing');
    dataDir = join(dir, 'ca-data');
    const { token } = await initDataDir(dataDir);
    server = await startAccessServer(dataDir);
    api = new AccessApi(server.url, token);
    const ca = await api.ca();
    writeFileSync(join(dir, 'user-ca.pub'), `${ca.user[0]!.publicKey}\n`);
    userCaFingerprint = await fingerprintOf(join(dir, 'user-ca.pub'));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it('shows exactly the key id, principals, validity, critical options and extensions asked for', async () => {
    const { issued, listing, before, after } = await issueAndList('full', {
      keyId: 'alice@example.com/listing',
      principals: ['alice', 'deploy', 'ops-ro'],
      ttl: '15m',
      criticalOptions: { forceCommand: '/usr/bin/printf "%s\\n" listed', sourceAddress: '127.0.0.1/32,10.0.0.0/8' },
      extensions: ['permit-pty', 'permit-port-forwarding'],
    });
    expect(listing).toMatchObject({
      algorithm: 'ssh-ed25519-cert-v01@openssh.com',
      certType: 'user',
      signingCaFingerprint: userCaFingerprint,
      keyId: 'alice@example.com/listing',
      serial: issued.serial,
      principals: ['alice', 'deploy', 'ops-ro'],
      // Sorted by name, as OpenSSH requires.
      criticalOptions: ['force-command /usr/bin/printf "%s\\n" listed', 'source-address 127.0.0.1/32,10.0.0.0/8'],
      extensions: ['permit-port-forwarding', 'permit-pty'],
    });
    expectWindow(listing, 15 * 60, before, after);

    // The JSON answer describes the same certificate.
    expect(issued.keyId).toBe('alice@example.com/listing');
    expect(issued.principals).toEqual(['alice', 'deploy', 'ops-ro']);
    expect(new Date(issued.validAfter).getTime()).toBe(listing.validFrom!.getTime());
    expect(new Date(issued.validBefore).getTime()).toBe(listing.validTo!.getTime());
    expect(issued.serial).toMatch(/^\d+$/);
  });

  it('gives a user certificate only permit-pty and no critical options by default', async () => {
    const { listing, before, after } = await issueAndList('defaults', { keyId: 'defaults', principals: ['alice'], ttl: '10m' });
    expect(listing.criticalOptions).toEqual([]);
    expect(listing.extensions).toEqual(['permit-pty']);
    expectWindow(listing, 10 * 60, before, after);
  });

  it('gives no extensions when an empty list is asked for', async () => {
    const { listing } = await issueAndList('no-extensions', { keyId: 'no-extensions', principals: ['alice'], ttl: '10m', extensions: [] });
    expect(listing.extensions).toEqual([]);
  });

  it('takes a ttl in seconds', async () => {
    const { listing, before, after } = await issueAndList('ttl-seconds', { keyId: 'ttl-seconds', principals: ['alice'], ttl: 900 });
    expectWindow(listing, 900, before, after);
  });

  it('lists verify-required as a critical option without a value', async () => {
    const { listing } = await issueAndList('verify-required', {
      keyId: 'verify-required',
      principals: ['alice'],
      ttl: '10m',
      criticalOptions: { verifyRequired: true },
    });
    expect(listing.criticalOptions).toEqual(['verify-required']);
  });

  it('gives every certificate its own serial', async () => {
    const first = await issueAndList('serial-a', { keyId: 'serial-a', principals: ['alice'], ttl: '10m' });
    const second = await issueAndList('serial-b', { keyId: 'serial-b', principals: ['alice'], ttl: '10m' });
    expect(second.listing.serial).not.toBe(first.listing.serial);
  });

  it('lists the same fields for a certificate from the offline CLI (ca sign-user)', async () => {
    const offlineDir = join(dir, 'offline-ca');
    await accessCliOk(offlineDir, ['ca', 'init']);
    const key = await generateKeyPair(dir, 'offline');
    const before = Math.floor(Date.now() / 1000);
    const signed = await accessCliOk(offlineDir, [
      'ca',
      'sign-user',
      '--public-key',
      key.publicKeyPath,
      '--principals',
      'alice,deploy',
      '--ttl',
      '20m',
      '--key-id',
      'offline-listing',
      '--force-command',
      'uptime',
      '--source-address',
      '10.0.0.0/8',
      '--extensions',
      'permit-pty,permit-port-forwarding',
    ]);
    const after = Math.ceil(Date.now() / 1000);
    writeFileSync(key.certificatePath, signed.stdout);
    const listing = parseKeygenListing(await keygenList(key.certificatePath));
    expect(listing).toMatchObject({
      certType: 'user',
      keyId: 'offline-listing',
      principals: ['alice', 'deploy'],
      criticalOptions: ['force-command uptime', 'source-address 10.0.0.0/8'],
      extensions: ['permit-port-forwarding', 'permit-pty'],
    });
    expect(listing.signingCaFingerprint).not.toBe(userCaFingerprint);
    expectWindow(listing, 20 * 60, before, after);
  }, 180_000);
});
