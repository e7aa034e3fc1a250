import { createAuditLog, type AuditActor, type AuditLog } from '@access/audit';
import { createTestDatabase, type DatabaseKind, type Db, type TestDatabase } from '@access/db';
import { createIdentity, type Identity } from '../identity/identity.ts';
import { upsertUserFromClaims, type IdentityClaims, type SignedInUser } from '../identity/users.ts';

export interface IdentityFixture {
  database: TestDatabase;
  db: Db;
  audit: AuditLog;
  clock: () => Date;
  identity: Identity;
  admin: AuditActor;
  /** Moves the fixture's clock on. */
  advance(seconds: number): void;
  /** Logs a person in with these claims (defaults: verified email, no groups). */
  login(claims: Partial<IdentityClaims> & { email: string }): Promise<SignedInUser>;
  close(): Promise<void>;
}

/** A fresh database with identity services on a clock the test moves by hand. */
export async function createIdentityFixture(kind: DatabaseKind, bootstrapAdmins: string[] = []): Promise<IdentityFixture> {
  const database = await createTestDatabase(kind);
  let now = new Date('2030-01-01T00:00:00Z');
  const clock = () => now;
  const audit = createAuditLog(database.db, clock);
  const db = database.db;
  return {
    database,
    db,
    audit,
    clock,
    identity: createIdentity({ db, audit, clock, bootstrapAdmins }),
    admin: { kind: 'user', id: 'usr_admin', name: 'admin@example.com' },
    advance(seconds) {
      now = new Date(now.getTime() + seconds * 1000);
    },
    login: (claims) =>
      upsertUserFromClaims(db, { issuer: 'https://idp.example.com', subject: claims.email, emailVerified: true, groups: [], ...claims }, clock()),
    close: () => database.close(),
  };
}
