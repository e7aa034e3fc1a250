import type { EnrolledHostKey } from '@access/db';
import { fingerprint, parsePublicKey, parseSshSig, SshSigError, verifySshSig } from '@access/sshcert';
import { EnrollRefusal } from './enroll-refusal.ts';
import type { RenewRequest } from './enroll-input.ts';

/** The SSHSIG namespace of renewal requests: a host key's signature for anything else is no proof. */
export const RENEW_NAMESPACE = 'access-host-renew@access';
/** How far the signed time may be from the CA's clock. */
export const RENEW_FRESHNESS_SECONDS = 300;

/** `access-host-renew name=web-1 time=1700000000`, exactly what the installed job signs. */
const MESSAGE = /^access-host-renew name=([a-z0-9.-]{1,253}) time=(\d{1,12})$/;

export interface RenewProof {
  name: string;
  /** Checks the signature against the host's enrolled keys; returns the key that made it. */
  verifyWith(keys: readonly EnrolledHostKey[]): EnrolledHostKey;
}

const refuse = (code: string, message: string): EnrollRefusal => new EnrollRefusal(code, 403, message);

/** Shape and freshness first (cheap); the signature needs the enrolled keys. */
export function checkRenewal(request: RenewRequest, now: Date): RenewProof {
  const m = MESSAGE.exec(request.message);
  if (!m) throw new EnrollRefusal('ERR_BAD_REQUEST', 400, 'message must read "access-host-renew name=<host> time=<unix seconds>"');
  const skew = Math.abs(Number(m[2]) - Math.floor(now.getTime() / 1000));
  if (skew > RENEW_FRESHNESS_SECONDS) {
    throw refuse('ERR_RENEW_STALE', `the renewal was signed ${skew}s away from the CA's clock (at most ${RENEW_FRESHNESS_SECONDS}s): check the server's clock`);
  }
  return {
    name: m[1]!,
    verifyWith(keys) {
      try {
        const signer = fingerprint(parseSshSig(request.signature).publicKey.blob);
        const key = keys.find((k) => k.fingerprint === signer);
        if (!key) throw refuse('ERR_RENEW_UNKNOWN_KEY', `the renewal was signed by ${signer}, which is not one of the host keys "${m[1]}" enrolled with`);
        verifySshSig(request.signature, request.message, { publicKey: parsePublicKey(key.publicKey), namespace: RENEW_NAMESPACE });
        return key;
      } catch (error) {
        if (error instanceof SshSigError) throw refuse('ERR_RENEW_SIGNATURE', `the renewal signature was refused: ${error.message}`);
        throw error;
      }
    },
  };
}
