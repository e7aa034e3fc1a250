import type { AuditActor, AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { fingerprint, formatCertificate, signCertificate, type CertType } from '@access/sshcert';
import { sql } from 'kysely';
import type { Keyring } from '../keys/keyring.ts';
import { asAccessError, planCertificate, type PolicyLimits } from './policy.ts';
import type { SignRequest } from './sign-request.ts';

export interface RequestContext {
  actor: AuditActor;
  /** The caller's address, or null for local commands. */
  remote: string | null;
}

export interface IssuedCertificate {
  certificate: string;
  serial: bigint;
  type: CertType;
  keyId: string;
  principals: string[];
  validAfter: Date;
  validBefore: Date;
  caFingerprint: string;
}

export interface Authority {
  /** Checks the request against policy, signs it, records it and audits it; or audits the refusal and throws an AccessError. */
  sign(request: SignRequest, context: RequestContext): Promise<IssuedCertificate>;
  /** Audits a request refused before it reached `sign` (bad body, too large) and returns it as an AccessError. */
  refuse(type: CertType, error: unknown, context: RequestContext): Promise<never>;
}

export interface AuthorityDeps {
  db: Db;
  audit: AuditLog;
  keyring: Keyring;
  limits: PolicyLimits;
  clock: () => Date;
}

const toDate = (seconds: bigint): Date => new Date(Number(seconds) * 1000);

export function createAuthority(deps: AuthorityDeps): Authority {
  const { db, audit, keyring, limits, clock } = deps;

  async function refuse(type: CertType, error: unknown, context: RequestContext, request?: SignRequest): Promise<never> {
    const refusal = asAccessError(error);
    if (refusal.status < 500) {
      await audit.append({
        type: 'cert.denied',
        actor: context.actor,
        remote: context.remote,
        details: {
          certType: type,
          code: refusal.code,
          reason: refusal.message,
          ...(request ? { principals: request.principals.slice(0, 16), ttl: String(request.ttl), keyId: request.keyId } : {}),
        },
      });
    }
    throw refusal;
  }

  return {
    refuse,
    async sign(request, context) {
      const now = clock();
      let plan;
      try {
        plan = planCertificate(request, limits, now, `${context.actor.kind}:${context.actor.name ?? context.actor.id}`);
      } catch (error) {
        return refuse(request.type, error, context, request);
      }
      const caKind = plan.type === 'user' ? 'user' : 'host';
      const signer = keyring.signer(caKind);
      const caFingerprint = keyring.signerFingerprint(caKind);

      return await db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ serial: bigint }>`select nextval('cert_serial_seq') as serial`.execute(trx);
        const serial = rows[0]!.serial;
        const cert = signCertificate({ ...plan, serial }, signer);
        const issued: IssuedCertificate = {
          certificate: formatCertificate(cert),
          serial,
          type: plan.type,
          keyId: plan.keyId,
          principals: plan.principals,
          validAfter: toDate(plan.validAfter),
          validBefore: toDate(plan.validBefore),
          caFingerprint,
        };
        const subjectFingerprint = fingerprint(plan.publicKey.blob);
        await trx
          .insertInto('certificates')
          .values({
            serial,
            cert_type: plan.type,
            key_id: plan.keyId,
            principals: JSON.stringify(plan.principals),
            ca_fingerprint: caFingerprint,
            subject_fingerprint: subjectFingerprint,
            subject_key_type: plan.publicKey.type,
            valid_after: issued.validAfter,
            valid_before: issued.validBefore,
            critical_options: JSON.stringify(plan.criticalOptions),
            extensions: JSON.stringify(plan.extensions),
            requested_by: `${context.actor.kind}:${context.actor.id}`,
            requested_from: context.remote,
            created_at: now,
          })
          .execute();
        await audit.append(
          {
            type: 'cert.issued',
            actor: context.actor,
            remote: context.remote,
            details: {
              certType: plan.type,
              serial: serial.toString(),
              keyId: plan.keyId,
              principals: plan.principals,
              validAfter: issued.validAfter.toISOString(),
              validBefore: issued.validBefore.toISOString(),
              criticalOptions: plan.criticalOptions,
              extensions: plan.extensions,
              subjectFingerprint,
              caFingerprint,
            },
          },
          trx,
        );
        return issued;
      });
    },
  };
}
