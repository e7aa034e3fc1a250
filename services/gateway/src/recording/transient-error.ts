import { isTransientDatabaseError } from '@access/db';

/** A database write took too long: it may still commit, so what replaces it must be idempotent. */
export class WriteTimeoutError extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
    this.name = 'WriteTimeoutError';
  }
}

/** True when writing again later can succeed: the database was unreachable or slow, not the write wrong. */
export const isTransientWriteError = (error: unknown): boolean => error instanceof WriteTimeoutError || isTransientDatabaseError(error);

/** `work`, or a WriteTimeoutError once `ms` passed (the work itself goes on). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WriteTimeoutError(ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
