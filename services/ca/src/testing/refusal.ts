import { expect } from 'vitest';
import { AccessError } from '../errors.ts';

/** Awaits a promise that must be refused with an AccessError, and returns the error. */
export async function refusal(promise: Promise<unknown>): Promise<AccessError> {
  const error = await promise.then(
    () => new Error('expected a refusal, but the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccessError);
  return error as AccessError;
}
