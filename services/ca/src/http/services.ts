import type { AuditLog } from '@access/audit';
import type { DatabaseHandle } from '@access/db';
import type { Authority } from '../authority/authority.ts';
import type { Revocations } from '../authority/revocations.ts';
import type { CaConfig } from '../config.ts';
import type { GatewayAuthority } from '../gateway/gateway-authority.ts';
import type { Identity } from '../identity/identity.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Logins } from '../login/logins.ts';
import type { StartLimiter } from '../login/start-limiter.ts';
import type { MachineTokens } from '../tokens/machine-tokens.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { WebSignIn } from '../ui/web-signin.ts';
import type { WebSessions } from '../ui/web-sessions.ts';
import type { Metrics } from './metrics.ts';
import type { RefusalLimiter } from './refusal-limiter.ts';

/** Everything the HTTP layer calls; built once by the composition root and passed in. */
export interface CaServices {
  config: CaConfig;
  database: DatabaseHandle;
  audit: AuditLog;
  keyring: Keyring;
  authority: Authority;
  revocations: Revocations;
  tokens: MachineTokens;
  userTokens: UserTokens;
  identity: Identity;
  /** `access login`: answers ERR_LOGIN_NOT_CONFIGURED when no identity provider is configured. */
  logins: Logins;
  metrics: Metrics;
  /** What recording gateways ask: who a certificate is, a decision and an upstream certificate per connection. */
  gateway: GatewayAuthority;
  /** The web UI's browser sessions and its OIDC sign-in. */
  web: { sessions: WebSessions; signIn: WebSignIn };
  /** Audit exports each caller may start, shared by the API and the web UI. */
  exportLimiter: StartLimiter;
  /**
   * Refused requests (a bad token or session, a missing capability) per client address: each
   * is answered the same, but past the limit in a minute no more `auth.denied` events are
   * written for it, so unauthenticated requests cannot fill the audit log.
   */
  authDenials: RefusalLimiter;
  clock: () => Date;
}
