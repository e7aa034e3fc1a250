import type { DatabaseKind } from '@access/db';
import { createTestCa, type TestCa } from '../../testing/test-ca.ts';
import { signedInPerson, type Person } from './route-test-kit.ts';

export const DAY_MS = 86_400_000;

export interface ClockedCa {
  ca: TestCa;
  /** Holds the auditor role. */
  auditor: Person;
  /** Holds no grant. */
  nobody: Person;
  advance(ms: number): void;
  now(): Date;
}

/** A CA on a clock the test moves, with an auditor and a person without grants whose tokens outlive any move. */
export async function createClockedCa(kind: DatabaseKind): Promise<ClockedCa> {
  let now = new Date();
  const ca = await createTestCa(kind, {}, () => now);
  const lasting = async (p: Person): Promise<Person> => ({ ...p, token: (await ca.services.userTokens.issue(p.user.id, new Date(Date.now() + 365 * DAY_MS))).token });
  return {
    ca,
    auditor: await lasting(await signedInPerson(ca, 'auditor@example.com', ['auditor'])),
    nobody: await lasting(await signedInPerson(ca, 'nobody@example.com')),
    advance: (ms) => {
      now = new Date(now.getTime() + ms);
    },
    now: () => now,
  };
}

/** `[status, error code]` of a response. */
export async function statusAndCode(response: Promise<{ statusCode: number; json(): { error?: { code: string } } }>): Promise<[number, string | undefined]> {
  const r = await response;
  return [r.statusCode, r.json().error?.code];
}
