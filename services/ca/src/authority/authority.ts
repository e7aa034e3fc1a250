import type { AuditActor, AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { fingerprint, formatCertificate, signCertificate, type CertType } from '@access/sshcert';
import type { Keyring } from '../keys/keyring.ts';
import { groupCommit } from './group-commit.ts';
import { serialSource } from './serial-source.ts';
import { asAccessError, planCertificate, type PolicyLimits, type SigningPlan } from './policy.ts';
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

/** At most this many certificates share one transaction. */
const MAX_BATCH = 64;

interface Pending {
  plan: SigningPlan;
  context: RequestContext;
  now: Date;
}

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

  /** Signs, stores and audits a batch: one commit (one disk flush) for all. */
  async function issueBatch(items: Pending[]): Promise<IssuedCertificate[]> {
    const serials = await takeSerials(items.length);
    const issued = items.map(({ plan, context, now }, i) => {
      const caKind = plan.caKind;
      const serial = serials[i]!;
      const cert = signCertificate({ ...plan, serial }, keyring.signer(caKind));
      const certificate: IssuedCertificate = {
        certificate: formatCertificate(cert),
        serial,
        type: plan.type,
        keyId: plan.keyId,
        principals: plan.principals,
        validAfter: toDate(plan.validAfter),
        validBefore: toDate(plan.validBefore),
        caFingerprint: keyring.signerFingerprint(caKind),
      };
      return { certificate, subjectFingerprint: fingerprint(plan.publicKey.blob), plan, context, now };
    });
    // The rows and their audit events commit together, in one statement when this process
    // wrote the audit chain's head last (see AuditLog.appendWithRows).
    const rows = issued.map(({ certificate: c, subjectFingerprint, plan, context, now }) => ({
      serial: c.serial.toString(),
      cert_type: c.type,
      key_id: c.keyId,
      principals: c.principals,
      ca_fingerprint: c.caFingerprint,
      subject_fingerprint: subjectFingerprint,
      subject_key_type: plan.publicKey.type,
      valid_after: c.validAfter.toISOString(),
      valid_before: c.validBefore.toISOString(),
      critical_options: plan.criticalOptions,
      extensions: plan.extensions,
      requested_by: `${context.actor.kind}:${context.actor.id}`,
      requested_from: context.remote,
      created_at: now.toISOString(),
    }));
    await audit.appendWithRows(
      issued.map(({ certificate: c, subjectFingerprint, plan, context }) => ({
        type: 'cert.issued' as const,
        actor: context.actor,
        remote: context.remote,
        details: {
          certType: c.type,
          serial: c.serial.toString(),
          keyId: c.keyId,
          principals: c.principals,
          validAfter: c.validAfter.toISOString(),
          validBefore: c.validBefore.toISOString(),
          criticalOptions: plan.criticalOptions,
          extensions: plan.extensions,
          subjectFingerprint,
          caFingerprint: c.caFingerprint,
        },
      })),
      [{ table: 'certificates', rows }],
    );
    return issued.map((i) => i.certificate);
  }
  const takeSerials = serialSource(db);
  const issue = groupCommit(issueBatch, MAX_BATCH);

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
      return issue({ plan, context, now });
    },
  };
}
