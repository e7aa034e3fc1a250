import type { Migration } from 'kysely';
import * as foundation from './0001_foundation.ts';
import * as identity from './0002_identity.ts';
import * as userTokens from './0003_user_tokens.ts';
import * as logins from './0004_logins.ts';
import * as sessions from './0005_sessions.ts';
import * as webUi from './0006_web_ui.ts';
import * as auditSearch from './0007_audit_search.ts';
import * as sessionSearch from './0008_session_search.ts';
import * as grantUse from './0009_grant_use.ts';
import * as enrollment from './0010_enrollment.ts';
import * as recordSpool from './0011_record_spool.ts';

/** Every migration, by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_identity': identity,
  '0003_user_tokens': userTokens,
  '0004_logins': logins,
  '0005_sessions': sessions,
  '0006_web_ui': webUi,
  '0007_audit_search': auditSearch,
  '0008_session_search': sessionSearch,
  '0009_grant_use': grantUse,
  '0010_enrollment': enrollment,
  '0011_record_spool': recordSpool,
};
