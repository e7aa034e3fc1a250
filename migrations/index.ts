import type { Migration } from 'kysely';
import * as foundation from './0001_foundation.ts';
import * as identity from './0002_identity.ts';
import * as userTokens from './0003_user_tokens.ts';
import * as logins from './0004_logins.ts';
import * as sessions from './0005_sessions.ts';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_identity': identity,
  '0003_user_tokens': userTokens,
  '0004_logins': logins,
  '0005_sessions': sessions,
};
