import type { AuditLog } from '@access/audit';
import type { Db } from '@access/db';
import { asAccessError } from '../authority/policy.ts';
import type { AccessError } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { RelyingParty } from '../oidc/relying-party.ts';
import type { CompleteDeps } from './login-result.ts';
import { loginErrors } from './login-errors.ts';
import { failLogin, type Login } from './login-store.ts';
import type { StartLimiter } from './start-limiter.ts';

/** How long a login may take from start to the CLI collecting its result. */
export const LOGIN_TTL_SECONDS = 600;
/** How long the loopback callback code may wait for the CLI to redeem it. */
export const CALLBACK_CODE_TTL_SECONDS = 60;
/** Seconds between a headless CLI's polls. */
export const POLL_INTERVAL_SECONDS = 5;

export interface LoginDeps extends CompleteDeps {
  db: Db;
  audit: AuditLog;
  identity: Identity;
  /** Null when no identity provider is configured: every step answers ERR_LOGIN_NOT_CONFIGURED. */
  relyingParty: RelyingParty | null;
  randomBytes: (size: number) => Buffer;
  limiter: StartLimiter;
  /** No trailing slash. */
  publicUrl: string;
}

export function requireRp(deps: LoginDeps): RelyingParty {
  if (!deps.relyingParty) throw loginErrors.notConfigured();
  return deps.relyingParty;
}

export const token = (deps: LoginDeps): string => deps.randomBytes(32).toString('base64url');

/**
 * Audits a refused login step as `login.denied` (with the login, when known), ends the
 * login when `end` says so, and returns the refusal for the caller to throw or render.
 */
export async function denyLogin(
  deps: LoginDeps,
  error: unknown,
  context: { login?: Login | null; remote: string | null; step: string; end?: 'failed' | 'expired' },
): Promise<AccessError> {
  const refusal = asAccessError(error);
  const login = context.login ?? null;
  if (login && context.end) await failLogin(deps.db, login.id, context.end, refusal, deps.clock());
  if (refusal.status < 500 || refusal.code.startsWith('ERR_OIDC')) {
    await deps.audit.append({
      type: 'login.denied',
      actor: login?.userId ? { kind: 'user', id: login.userId } : { kind: 'anonymous', id: 'anonymous' },
      remote: context.remote,
      details: { loginId: login?.id ?? null, mode: login?.mode ?? null, step: context.step, code: refusal.code, reason: refusal.message },
    });
  }
  return refusal;
}
