import { describe, expect, it } from 'vitest';
import type { RevokeNotice } from '@access/db';
import { createLiveConnections } from './live-connections.ts';
import { revocationCovers, type LiveCredential } from './revocation-match.ts';

const alice: LiveCredential = { serial: 42n, keyId: 'alice@example.com', caFingerprint: 'SHA256:userca', keyFingerprint: 'SHA256:alicekey' };
const notice = (fields: Partial<RevokeNotice>): RevokeNotice => ({
  kind: 'revoke',
  revocation: 'serial',
  caFingerprint: null,
  serialFrom: null,
  serialTo: null,
  keyId: null,
  keyFingerprint: null,
  reason: 'test',
  ...fields,
});

describe('which live certificates a revocation covers', () => {
  it('a serial of the same CA key, or of any key when none is named', () => {
    expect(revocationCovers(notice({ serialFrom: '42', caFingerprint: 'SHA256:userca' }), alice)).toBe(true);
    expect(revocationCovers(notice({ serialFrom: '42' }), alice)).toBe(true);
    expect(revocationCovers(notice({ serialFrom: '42', caFingerprint: 'SHA256:other' }), alice)).toBe(false);
    expect(revocationCovers(notice({ serialFrom: '43' }), alice)).toBe(false);
  });

  it('a serial range, ends included', () => {
    expect(revocationCovers(notice({ revocation: 'serial_range', serialFrom: '40', serialTo: '42' }), alice)).toBe(true);
    expect(revocationCovers(notice({ revocation: 'serial_range', serialFrom: '43', serialTo: '50' }), alice)).toBe(false);
  });

  it('a key id or the certified key', () => {
    expect(revocationCovers(notice({ revocation: 'key_id', keyId: 'alice@example.com' }), alice)).toBe(true);
    expect(revocationCovers(notice({ revocation: 'key_id', keyId: 'bob@example.com' }), alice)).toBe(false);
    expect(revocationCovers(notice({ revocation: 'key', keyFingerprint: 'SHA256:alicekey' }), alice)).toBe(true);
    expect(revocationCovers(notice({ revocation: 'key', keyFingerprint: 'SHA256:bobkey' }), alice)).toBe(false);
  });

  it('ends only the connections signed in with a covered certificate', () => {
    const live = createLiveConnections();
    const ended: string[] = [];
    live.add('u1', (r) => ended.push(`alice: ${r}`), alice);
    live.add('u1', (r) => ended.push(`alice again: ${r}`), { ...alice, serial: 7n });
    live.add('u2', (r) => ended.push(`no certificate: ${r}`));
    expect(live.endRevoked(notice({ serialFrom: '42' }), 'revoked')).toBe(1);
    expect(ended).toEqual(['alice: revoked']);
  });
});
