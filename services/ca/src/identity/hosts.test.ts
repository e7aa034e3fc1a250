import { testDatabaseKinds } from '@access/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../testing/refusal.ts';
import { createIdentityFixture, type IdentityFixture } from '../testing/identity-fixture.ts';
import { checkHostAddress, checkHostName } from './hosts.ts';
import { selectorMatches } from './labels.ts';

describe('host names, addresses and label selectors', () => {
  it.each(['web-1', 'web-1.prod', 'a', '10-0-0-5'])('accepts the host name %s', (name) => {
    expect(checkHostName(name)).toBe(name);
  });
  it.each(['Web-1', '-web', 'web-', 'web..1', 'web_1', '', 'a'.repeat(64)])('refuses the host name %j', (name) => {
    expect(() => checkHostName(name)).toThrow(/lowercase DNS labels/);
  });
  it.each(['10.0.0.5:22', 'web-1.internal:2222', '[fd00::5]:22'])('accepts the address %s', (address) => {
    expect(checkHostAddress(address)).toBe(address);
  });
  it.each(['10.0.0.5', 'web:0', 'web:70000', '[not-ip]:22', 'fd00::5:22', 'we b:22', 'http://web:22'])('refuses the address %j', (address) => {
    expect(() => checkHostAddress(address)).toThrow(/must be host:port/);
  });
  it('matches a host only when it carries every selected label with an allowed value', () => {
    const host = { env: 'prod', team: 'payments' };
    expect(selectorMatches({ env: ['prod'] }, host)).toBe(true);
    expect(selectorMatches({ env: ['dev', 'prod'], team: ['*'] }, host)).toBe(true);
    expect(selectorMatches({ env: ['dev'] }, host)).toBe(false);
    expect(selectorMatches({ region: ['*'] }, host)).toBe(false);
    expect(selectorMatches({}, host)).toBe(false);
    expect(selectorMatches({ '*': ['*'] }, host)).toBe(true);
  });
});

describe.each(testDatabaseKinds())('hosts on %s', (kind) => {
  let f: IdentityFixture;
  beforeAll(async () => {
    f = await createIdentityFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });

  it('creates a host with sorted labels and audits it', async () => {
    const host = await f.identity.hosts.create({ name: 'web-1', address: '10.0.0.5:22', labels: { team: 'web', env: 'prod' } }, f.admin);
    expect(host).toMatchObject({ name: 'web-1', address: '10.0.0.5:22', labels: { env: 'prod', team: 'web' }, lastSeenAt: null });
    const [event] = await f.audit.list({ type: 'host.created', limit: 1 });
    expect(event?.code).toBe('HS1000I');
    expect(event?.details).toEqual({ host: 'web-1', before: null, after: { name: 'web-1', address: '10.0.0.5:22', labels: { env: 'prod', team: 'web' } } });
  });

  it('refuses a duplicate name and invalid labels', async () => {
    expect((await refusal(f.identity.hosts.create({ name: 'web-1', address: '10.0.0.6:22' }, f.admin))).code).toBe('ERR_HOST_EXISTS');
    expect((await refusal(f.identity.hosts.create({ name: 'web-2', address: '10.0.0.6:22', labels: { env: 'Prod' } }, f.admin))).message).toMatch(/value of label env/);
    expect((await refusal(f.identity.hosts.create({ name: 'web-2', address: '10.0.0.6:22', labels: { '': 'x' } }, f.admin))).message).toMatch(/label key/);
  });

  it('updates address and labels, auditing before and after', async () => {
    const host = await f.identity.hosts.update('web-1', { labels: { env: 'staging' } }, f.admin);
    expect(host).toMatchObject({ address: '10.0.0.5:22', labels: { env: 'staging' } });
    const [event] = await f.audit.list({ type: 'host.updated', limit: 1 });
    expect(event?.details).toMatchObject({ before: { labels: { env: 'prod', team: 'web' } }, after: { labels: { env: 'staging' } } });
  });

  it('lists hosts carrying all the given labels', async () => {
    await f.identity.hosts.create({ name: 'db-1', address: 'db-1.internal:22', labels: { env: 'staging', role: 'db' } }, f.admin);
    expect((await f.identity.hosts.list()).map((h) => h.name)).toEqual(['db-1', 'web-1']);
    expect((await f.identity.hosts.list({ labels: { env: 'staging', role: 'db' } })).map((h) => h.name)).toEqual(['db-1']);
  });

  it('deletes a host, audited, and then no longer finds it', async () => {
    await f.identity.hosts.delete('db-1', f.admin);
    expect((await refusal(f.identity.hosts.get('db-1'))).code).toBe('ERR_UNKNOWN_HOST');
    expect((await refusal(f.identity.hosts.delete('db-1', f.admin))).status).toBe(404);
    const [event] = await f.audit.list({ type: 'host.deleted', limit: 1 });
    expect(event?.details).toMatchObject({ host: 'db-1', after: null, before: { address: 'db-1.internal:22' } });
  });
});
