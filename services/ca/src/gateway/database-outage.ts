import { isTransientDatabaseError } from '@access/db';
import type { GatewayCa } from '@access/gateway';
import { AccessError, DATABASE_UNAVAILABLE } from '../errors.ts';

/** `work`'s result; a database that is away becomes a refusal the engineer can read. */
async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isTransientDatabaseError(error)) throw new AccessError('ERR_DATABASE_UNAVAILABLE', 503, DATABASE_UNAVAILABLE, { cause: error });
    throw error;
  }
}

/**
 * The embedded gateway's view of this CA: the same answers, except that a database outage
 * reaches the engineer's terminal as one plain sentence, not a socket error.
 */
export function explainingDatabaseOutages(ca: GatewayCa): GatewayCa {
  return {
    trustedKeys: (kind) => explained(() => ca.trustedKeys(kind)),
    identify: (certificate) => explained(() => ca.identify(certificate)),
    findHost: (destination) => explained(() => ca.findHost(destination)),
    authorize: (request) => explained(() => ca.authorize(request)),
    hostCertificate: (names, publicKey) => explained(() => ca.hostCertificate(names, publicKey)),
  };
}
