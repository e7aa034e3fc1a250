import { createHash, timingSafeEqual } from 'node:crypto';
import type { Account } from 'oidc-provider';

/** A person the development identity provider knows. Never used outside `--dev`. */
export interface DemoUser {
  /** Also the OIDC subject (`sub`): stable, like a real IdP's user id. */
  id: string;
  email: string;
  name: string;
  groups: string[];
}

/** One per role the CA cares about, so a quickstart can show admin, engineer and auditor views. */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'alice', email: 'alice@example.com', name: 'Alice Admin', groups: ['admins'] },
  { id: 'bob', email: 'bob@example.com', name: 'Bob Engineer', groups: ['engineers'] },
  { id: 'carol', email: 'carol@example.com', name: 'Carol Auditor', groups: ['auditors'] },
];

/** Finds a demo user by `alice` or `alice@example.com` (case and surrounding spaces ignored). */
export function findDemoUser(login: string): DemoUser | undefined {
  const wanted = login.trim().toLowerCase();
  if (!wanted) return undefined;
  return DEMO_USERS.find((u) => u.id === wanted || u.email === wanted);
}

/** Compares in constant time; both sides are hashed first so their lengths do not leak either. */
export function passwordMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The claims a real IdP would release: the CA's relying party reads the same names. */
export function demoAccount(user: DemoUser): Account {
  return {
    accountId: user.id,
    claims: () => ({
      sub: user.id,
      email: user.email,
      email_verified: true,
      name: user.name,
      groups: [...user.groups],
    }),
  };
}
