import type { AuditActor, AuditLog } from '@access/audit';
import type { Db, EnrolledHostKey } from '@access/db';
import { fingerprint, type SshPublicKey } from '@access/sshcert';
import type { Authority } from '../authority/authority.ts';
import { asAccessError, planCertificate, type PolicyLimits } from '../authority/policy.ts';
import { conflict, forbidden } from '../errors.ts';
import { checkHostAddress } from '../identity/hosts.ts';
import type { Keyring } from '../keys/keyring.ts';
import { dialAddress, hostKeyStem, type EnrollRequest, type RenewRequest } from './enroll-input.ts';
import { EnrollRefusal } from './enroll-refusal.ts';
import { claimJoinToken, createJoinToken, findUsableJoinToken, type CreatedJoinToken, type JoinTokenRequest } from './join-tokens.ts';
import { checkRenewal, RENEW_NAMESPACE } from './renew-proof.ts';

/** Host certificates of enrolled servers live this long (capped by the CA's host limit) and are renewed after two thirds. */
export const ENROLLED_HOST_CERT_TTL = 30 * 86_400;

export interface HostCertificateOut {
  keyType: string;
  /** sshd's file name stem: ssh_host_<stem>_key. */
  stem: string;
  fingerprint: string;
  certificate: string;
  validBefore: string;
}

export interface EnrollResult {
  host: { name: string; address: string; labels: Record<string, string> };
  hostCertificates: HostCertificateOut[];
  /** The upstream CA only: targets never trust the user CA, so every login passes the gateway. */
  trustedUserCaKeys: string;
  krlUrl: string;
  renew: { url: string; namespace: string; after: string };
}

export interface DryRunResult {
  dryRun: true;
  host: { name: string; address: string; labels: Record<string, string> };
  hostKeys: string[];
}

export interface Enrollment {
  createToken(request: JoinTokenRequest, actor: AuditActor): Promise<CreatedJoinToken>;
  /** Registers the host and certifies its keys; or audits why not, changes nothing and throws. */
  enroll(request: EnrollRequest, remote: string | null): Promise<EnrollResult | DryRunResult>;
  /** New certificates for an enrolled host that proved itself with one of its host keys. */
  renew(request: RenewRequest, remote: string | null): Promise<EnrollResult>;
  /** Audits a request refused before it reached enroll or renew (a malformed body) and rethrows it. */
  refuse(error: unknown, step: 'enroll' | 'renew', remote: string | null): Promise<never>;
}

export interface EnrollmentDeps {
  db: Db;
  audit: AuditLog;
  authority: Authority;
  keyring: Keyring;
  limits: PolicyLimits;
  publicUrl: string;
  clock: () => Date;
}

const keyView = (key: SshPublicKey): EnrolledHostKey => ({ type: key.type, publicKey: `${key.type} ${key.blob.toString('base64')}`, fingerprint: fingerprint(key.blob) });

export function createEnrollment(deps: EnrollmentDeps): Enrollment {
  const { db, audit, authority, keyring, limits, publicUrl, clock } = deps;
  const ttl = Math.min(ENROLLED_HOST_CERT_TTL, limits.hostCertMaxTtl);

  async function refused(error: unknown, step: 'enroll' | 'renew', remote: string | null, details: Record<string, unknown>): Promise<never> {
    const refusal = asAccessError(error);
    if (refusal.status < 500) {
      const tokenId = error instanceof EnrollRefusal ? error.tokenId : null;
      await audit.append({ type: 'host.enroll.denied', actor: { kind: 'anonymous', id: 'anonymous' }, remote, details: { step, code: refusal.code, reason: refusal.message, tokenId, ...details } });
    }
    throw refusal;
  }

  /** Certificates for every key, signed by the host CA through the authority (stored and audited there). */
  async function certify(name: string, keys: readonly EnrolledHostKey[], actor: AuditActor, remote: string | null): Promise<HostCertificateOut[]> {
    return Promise.all(
      keys.map(async (key) => {
        const issued = await authority.sign({ type: 'host', publicKey: key.publicKey, principals: [name], ttl, keyId: `host:${name}` }, { actor, remote });
        return { keyType: key.type, stem: hostKeyStem(key.type), fingerprint: key.fingerprint, certificate: issued.certificate, validBefore: issued.validBefore.toISOString() };
      }),
    );
  }

  async function result(host: EnrollResult['host'], certificates: HostCertificateOut[]): Promise<EnrollResult> {
    const upstream = (await keyring.published()).filter((k) => k.kind === 'upstream');
    const soonest = Math.min(...certificates.map((c) => Date.parse(c.validBefore)));
    return {
      host,
      hostCertificates: certificates,
      trustedUserCaKeys: upstream.map((k) => `${k.publicKey}\n`).join(''),
      krlUrl: `${publicUrl}/v1/krl`,
      renew: { url: `${publicUrl}/v1/enroll/renew`, namespace: RENEW_NAMESPACE, after: new Date(soonest - (ttl * 1000) / 3).toISOString() },
    };
  }

  return {
    refuse: (error, step, remote) => refused(error, step, remote, {}),

    createToken: (request, actor) => createJoinToken({ db, audit, clock }, request, actor),

    async enroll(request, remote) {
      const now = clock();
      const audited = { host: request.name, hostKeys: request.hostKeys.map((k) => fingerprint(k.blob)), dryRun: request.dryRun };
      let registered: { host: EnrollResult['host']; keys: EnrolledHostKey[]; actor: AuditActor };
      try {
        const token = await findUsableJoinToken(db, request.token, now);
        if (token.name !== null && token.name !== request.name) {
          throw new EnrollRefusal('ERR_JOIN_TOKEN_NAME', 403, `this join token enrolls only the host "${token.name}", not "${request.name}" (use --name ${token.name})`, token.id);
        }
        const address = request.address ?? (request.addresses[0] !== undefined ? dialAddress(request.addresses[0]) : null) ?? (remote ? dialAddress(remote) : null);
        if (!address) throw new EnrollRefusal('ERR_BAD_REQUEST', 400, 'no address: give --address, the address the gateway dials', token.id);
        const host = { name: request.name, address: checkHostAddress(address), labels: token.labels };
        // Everything signing would refuse is refused now, before the token is used or the host exists.
        for (const key of request.hostKeys) planCertificate({ type: 'host', publicKey: keyView(key).publicKey, principals: [host.name], ttl }, limits, now, host.name);
        const taken = await db.selectFrom('hosts').select('name').where('name', '=', host.name).executeTakeFirst();
        if (taken) throw conflict('ERR_HOST_EXISTS', `a host named "${host.name}" is already registered; an admin removes it first ("access hosts rm ${host.name}") to enroll it again`);
        if (request.dryRun) return { dryRun: true, host, hostKeys: audited.hostKeys };

        const keys = request.hostKeys.map(keyView);
        const actor: AuditActor = { kind: 'token', id: token.id, name: `join token for ${host.name}` };
        registered = { host, keys, actor };
        await db.transaction().execute(async (trx) => {
          await claimJoinToken(trx, token.id, host.name, now);
          const row = await trx
            .insertInto('hosts')
            .values({ ...host, labels: JSON.stringify(host.labels), created_at: now, updated_at: now })
            .onConflict((oc) => oc.column('name').doNothing())
            .returning('name')
            .executeTakeFirst();
          if (!row) throw conflict('ERR_HOST_EXISTS', `a host named "${host.name}" is already registered`);
          await trx
            .insertInto('host_enrollments')
            .values({ host_name: host.name, host_keys: JSON.stringify(keys), addresses: JSON.stringify(request.addresses), token_id: token.id, enrolled_at: now })
            .execute();
          await audit.append({ type: 'host.created', actor, remote, details: { host: host.name, before: null, after: host } }, trx);
          await audit.append({ type: 'host.enrolled', actor, remote, details: { host: host.name, tokenId: token.id, address: host.address, addresses: request.addresses, labels: host.labels, hostKeys: audited.hostKeys } }, trx);
        });
      } catch (error) {
        return refused(error, 'enroll', remote, audited);
      }
      // Registered and committed: from here on a failure is the CA's, not a refusal.
      const { host, keys, actor } = registered;
      return result(host, await certify(host.name, keys, actor, remote));
    },

    async renew(request, remote) {
      const now = clock();
      let name: string | null = null;
      try {
        const proof = checkRenewal(request, now);
        name = proof.name;
        const enrolled = await db.selectFrom('host_enrollments').selectAll().where('host_name', '=', proof.name).executeTakeFirst();
        const host = await db.selectFrom('hosts').select(['name', 'address', 'labels']).where('name', '=', proof.name).executeTakeFirst();
        if (!enrolled || !host) throw forbidden('ERR_NOT_ENROLLED', `no enrolled host named "${proof.name}"; enroll it with a join token`);
        const key = proof.verifyWith(enrolled.host_keys);
        const actor: AuditActor = { kind: 'system', id: `host:${host.name}`, name: key.fingerprint };
        const certificates = await certify(host.name, enrolled.host_keys, actor, remote);
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('host_enrollments').set({ renewed_at: now }).where('host_name', '=', host.name).execute();
          await audit.append({ type: 'host.renewed', actor, remote, details: { host: host.name, signedBy: key.fingerprint, validBefore: certificates.map((c) => c.validBefore) } }, trx);
        });
        return await result(host, certificates);
      } catch (error) {
        return refused(error, 'renew', remote, { host: name });
      }
    },
  };
}
