const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * SQLSTATEs of a database that is away or busy, not of a bad query: connection exceptions
 * (class 08), admin or crash shutdown, "cannot connect now" (starting up), too many
 * connections, serialization failures and deadlocks.
 */
const TRANSIENT_SQLSTATE = /^(08...|57P0[1-3]|53300|40001|40P01)$/;

/** What node-postgres says when its connection breaks or it cannot get one in time. */
const TRANSIENT_MESSAGE = /connection terminated|timeout exceeded when trying to connect|not queryable|connection error|server closed the connection/i;

/** True when the same query can succeed later: the database was unreachable or busy, not the query wrong. */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isTransientDatabaseError);
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && TRANSIENT_MESSAGE.test(message);
}
