import {
  parsePublicKey,
  SshCertError,
  validateCriticalOptions,
  validateExtensions,
  validatePrincipals,
  type CertificateFields,
  type SshPublicKey,
} from '@access/sshcert';
import type { CaKind } from '@access/db';
import { formatDuration, parseDuration } from '../duration.ts';
import { AccessError, badRequest, forbidden } from '../errors.ts';
import type { SignRequest } from './sign-request.ts';

export interface PolicyLimits {
  userCertMaxTtl: number;
  hostCertMaxTtl: number;
  clockSkew: number;
  forbiddenPrincipals: readonly string[];
}

/** A request that passed every check: all a signer needs but the serial. */
export type SigningPlan = Omit<CertificateFields, 'serial' | 'nonce'> & { ttl: number; caKind: CaKind };

/** Extensions a user certificate gets when the request names none: a terminal, nothing more. */
export const DEFAULT_USER_EXTENSIONS: readonly string[] = ['permit-pty'];

const KEY_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/**
 * Turns a request into a signing plan, or throws an AccessError that says which rule it
 * broke. Each step is one rule; adding a rule is adding a step.
 */
export function planCertificate(request: SignRequest, limits: PolicyLimits, now: Date, defaultKeyId: string): SigningPlan {
  const publicKey: SshPublicKey = parsePublicKey(request.publicKey);

  validatePrincipals(request.type, request.principals);
  const forbiddenHit = request.principals.find((p) => limits.forbiddenPrincipals.includes(p));
  if (forbiddenHit !== undefined) {
    throw forbidden('ERR_PRINCIPAL_FORBIDDEN', `the principal "${forbiddenHit}" is forbidden by this CA's policy`);
  }

  const ttl = parseDuration(request.ttl, 'ttl');
  const cap = request.type === 'user' ? limits.userCertMaxTtl : limits.hostCertMaxTtl;
  if (ttl > cap) {
    throw forbidden('ERR_TTL_TOO_LONG', `ttl ${formatDuration(ttl)} is longer than the ${request.type} certificate cap of ${formatDuration(cap)}`);
  }

  const keyId = request.keyId ?? defaultKeyId;
  if (!KEY_ID.test(keyId)) {
    throw badRequest('ERR_BAD_KEY_ID', 'keyId must be 1 to 256 printable ASCII characters without leading or trailing spaces');
  }

  const criticalOptions: Record<string, string> = {};
  const extensions = request.type === 'user' ? [...(request.extensions ?? DEFAULT_USER_EXTENSIONS)] : [];
  if (request.type === 'user') {
    const o = request.criticalOptions;
    if (o?.forceCommand !== undefined) criticalOptions['force-command'] = o.forceCommand;
    if (o?.sourceAddress !== undefined) criticalOptions['source-address'] = o.sourceAddress;
    if (o?.verifyRequired === true) criticalOptions['verify-required'] = '';
    validateCriticalOptions(criticalOptions);
    validateExtensions(extensions);
  }

  const nowSeconds = BigInt(Math.floor(now.getTime() / 1000));
  return {
    type: request.type,
    publicKey,
    keyId,
    principals: [...request.principals],
    validAfter: nowSeconds - BigInt(limits.clockSkew),
    validBefore: nowSeconds + BigInt(ttl),
    criticalOptions,
    extensions,
    ttl,
    caKind: request.type === 'host' ? 'host' : (request.signer ?? 'user'),
  };
}

/** Whatever a check threw, as the one error type the HTTP layer renders. */
export function asAccessError(error: unknown): AccessError {
  if (error instanceof AccessError) return error;
  if (error instanceof SshCertError) return badRequest(error.code, error.message, error);
  return new AccessError('ERR_INTERNAL', 500, 'internal error', { cause: error });
}
