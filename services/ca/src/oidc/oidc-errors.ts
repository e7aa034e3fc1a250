import { AccessError } from '../errors.ts';

/**
 * Stable codes for a login that did not end in verified claims. Scripts and the CLI key
 * on these; the messages are safe to show and never carry a token, a code or a secret.
 */
export const OIDC_ERRORS = {
  /** The callback's `state` is missing or is not the one this login started with. */
  state: 'ERR_OIDC_STATE',
  /** The ID token's `nonce` is missing or differs: a replayed or injected token. */
  nonce: 'ERR_OIDC_NONCE',
  /** The ID token failed a check; the message names which (audience, issuer, expired, signature, …). */
  token: 'ERR_OIDC_TOKEN',
  /** The identity provider does not vouch for the email address. */
  emailUnverified: 'ERR_OIDC_EMAIL_UNVERIFIED',
  /** The token endpoint refused the authorization code: already used, expired, or wrong PKCE verifier. */
  grant: 'ERR_OIDC_GRANT',
  /** The identity provider answered the authorization request with an error (the person declined, …). */
  denied: 'ERR_OIDC_DENIED',
  /** The identity provider is unreachable or answered something unusable. */
  provider: 'ERR_OIDC_PROVIDER',
} as const;

export const stateError = (message: string): AccessError => new AccessError(OIDC_ERRORS.state, 400, message);
export const nonceError = (message: string): AccessError => new AccessError(OIDC_ERRORS.nonce, 400, message);
export const tokenError = (check: string, cause?: unknown): AccessError =>
  new AccessError(OIDC_ERRORS.token, 401, `the identity provider's ID token was refused: ${check}`, { cause });
export const emailUnverifiedError = (): AccessError =>
  new AccessError(OIDC_ERRORS.emailUnverified, 403, 'the identity provider has not verified this email address');
export const providerError = (message: string, cause?: unknown): AccessError =>
  new AccessError(OIDC_ERRORS.provider, 502, message, { cause });

/** OAuth error codes are `[a-z_]`; anything else from the network is not echoed. */
const safeWord = (value: unknown): string => (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : 'unknown');

const CLAIM_CHECKS: Record<string, string> = {
  aud: 'audience (aud) is not this client',
  azp: 'authorized party (azp) is not this client',
  iss: 'issuer (iss) is not the configured identity provider',
  exp: 'expired (exp is in the past)',
  nbf: 'not yet valid (nbf is in the future)',
  iat: 'issued in the future (iat)',
  auth_time: 'authentication is too old (auth_time)',
};

interface OauthLikeError {
  code?: unknown;
  message?: unknown;
  error?: unknown;
  status?: unknown;
  cause?: { claim?: unknown; header?: { alg?: unknown } } | unknown;
}

/**
 * Turns whatever `openid-client` (oauth4webapi underneath) or `fetch` threw into one
 * `AccessError`. The original error is kept only as a short summary: its `cause` can hold
 * the token's claims or the raw token, which must not reach a log.
 */
export function toOidcError(error: unknown): AccessError {
  if (error instanceof AccessError) return error;
  const e = unwrap(error);
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as { claim?: unknown; header?: { alg?: unknown } };
  const summary = summarizeError(e);

  switch (code) {
    case 'OAUTH_RESPONSE_BODY_ERROR':
      if (e.error === 'invalid_grant') {
        return new AccessError(OIDC_ERRORS.grant, 400, 'the identity provider refused the authorization code (invalid_grant): it was already used, has expired, or the PKCE verifier does not match; start the login again', { cause: summary });
      }
      return providerError(`the identity provider's token endpoint answered ${safeWord(e.error)}`, summary);
    case 'OAUTH_AUTHORIZATION_RESPONSE_ERROR':
      return new AccessError(OIDC_ERRORS.denied, 403, `the identity provider did not authorize the login: ${safeWord(e.error)}`, { cause: summary });
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED': {
      const claim = safeWord(cause.claim);
      if (claim === 'nonce') return nonceError('the ID token nonce is not the one this login sent');
      return tokenError(CLAIM_CHECKS[claim] ?? `claim ${claim} did not match`, summary);
    }
    case 'OAUTH_KEY_SELECTION_FAILED':
      return tokenError('signature (no key in the provider JWKS matches the token)', summary);
    case 'OAUTH_INVALID_RESPONSE':
    case 'OAUTH_PARSE_ERROR':
      return invalidResponse(message, cause, summary);
    case 'OAUTH_UNSUPPORTED_OPERATION':
      return tokenError('unsupported token format or algorithm', summary);
    default:
      return providerError('the identity provider is unreachable or answered something unusable', summary);
  }
}

/** openid-client wraps oauth4webapi's error in one with the same code and a vaguer message; the inner one names the claim. */
function unwrap(error: unknown): OauthLikeError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as OauthLikeError;
  const inner = e.cause;
  if (inner instanceof Error && typeof e.code === 'string' && (inner as OauthLikeError).code === e.code) return inner as OauthLikeError;
  return e;
}

/** A short, token-free stand-in for a library error, to keep as `cause` for the server log. */
export function summarizeError(error: unknown): Error {
  const e = (typeof error === 'object' && error !== null ? error : {}) as OauthLikeError;
  const code = typeof e.code === 'string' ? e.code : 'error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  return new Error(`${code}: ${message.slice(0, 200)}`);
}

function invalidResponse(message: string, cause: { header?: { alg?: unknown } }, summary: Error): AccessError {
  const missing = /JWT "(\w+)" \(.*\) claim missing/.exec(message);
  if (missing) {
    if (missing[1] === 'nonce') return nonceError('the ID token carries no nonce');
    return tokenError(`required claim ${missing[1]} is missing`, summary);
  }
  if (message.includes('"alg"')) {
    const alg = cause.header?.alg;
    return tokenError(alg === 'none' ? 'unsigned token (alg none)' : `signing algorithm ${safeWord(alg)} is not accepted`, summary);
  }
  if (message.includes('signature verification failed')) return tokenError('signature', summary);
  if (message.includes('id_token')) return tokenError('the token response has no usable ID token', summary);
  if (/JWT|claim/.test(message)) return tokenError('malformed token', summary);
  return providerError('the identity provider answered something unusable', summary);
}
