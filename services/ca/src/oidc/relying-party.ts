import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { claimsFromIdToken, type Claims } from './id-token-claims.ts';
import { nonceError, providerError, stateError, summarizeError, toOidcError } from './oidc-errors.ts';

export interface RelyingPartyOptions {
  /** The provider's issuer; discovery is `<issuerUrl>/.well-known/openid-configuration`. */
  issuerUrl: string;
  clientId: string;
  /** Read with `readSecretFile`; never from the environment. */
  clientSecret: string;
  /** The CA's callback URL, registered with the provider. */
  redirectUri: string;
  /** Must include `openid`; `email` is needed for the email claim. */
  scopes: string[];
  groupsClaim: string;
  requireVerifiedEmail: boolean;
  /** Seconds of clock difference tolerated when checking `exp`, `nbf` and `iat`. */
  clockTolerance: number;
  fetch?: typeof fetch | undefined;
  clock?: (() => Date) | undefined;
  /** 32 random bytes per call; state, nonce and PKCE verifier each take one. */
  randomBytes?: ((size: number) => Buffer) | undefined;
}

/** What the CA keeps (in a short-lived, HttpOnly cookie or server-side) between redirect and callback. */
export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface AuthorizationRequest extends LoginChecks {
  url: string;
}

export interface RelyingParty {
  /** Fetches and caches the provider's discovery document; the other methods call it as needed. */
  discover(): Promise<void>;
  /** A fresh state, nonce and PKCE (S256) verifier, and the URL to send the browser to. */
  authorizationUrl(): Promise<AuthorizationRequest>;
  /** Checks the redirect back and the ID token; returns the person or throws an `AccessError`. */
  callback(callbackUrl: string | URL, expected: LoginChecks): Promise<Claims>;
}

export { type Claims } from './id-token-claims.ts';

/** Plain HTTP only to a provider on this machine (the development IdP); everything else needs TLS. */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost');
}

export function createRelyingParty(options: RelyingPartyOptions): RelyingParty {
  const issuerUrl = new URL(options.issuerUrl);
  if (issuerUrl.protocol !== 'https:' && !isLoopbackHttp(issuerUrl)) {
    throw providerError(`the OIDC issuer must be an https:// URL, got ${issuerUrl.protocol}`);
  }
  if (!options.scopes.includes('openid')) throw providerError('the OIDC scopes must include openid');
  const clock = options.clock ?? (() => new Date());
  const random = options.randomBytes ?? randomBytes;
  const token = () => random(32).toString('base64url');

  let configuration: Promise<client.Configuration> | undefined;
  function discover(): Promise<client.Configuration> {
    configuration ??= client
      .discovery(
        issuerUrl,
        options.clientId,
        {
          redirect_uris: [options.redirectUri],
          response_types: ['code'],
          [client.clockTolerance]: options.clockTolerance,
          // The library's clock is Date.now(); an injected clock is applied as an offset.
          [client.clockSkew]: Math.round((clock().getTime() - Date.now()) / 1000),
        },
        client.ClientSecretBasic(options.clientSecret),
        {
          execute: [
            // Verify ID token signatures against the provider's JWKS, not only trust TLS.
            client.enableNonRepudiationChecks,
            ...(isLoopbackHttp(issuerUrl) ? [client.allowInsecureRequests] : []),
          ],
          timeout: 10,
          ...(options.fetch ? { [client.customFetch]: options.fetch } : {}),
        },
      )
      .catch((error: unknown) => {
        // Try again next time: the provider may only have been down for a moment.
        configuration = undefined;
        throw providerError('the identity provider is unreachable or its discovery document is unusable', summarizeError(error));
      });
    return configuration;
  }

  return {
    discover: async () => {
      await discover();
    },

    async authorizationUrl() {
      const config = await discover();
      const checks = { state: token(), nonce: token(), codeVerifier: token() };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: options.scopes.join(' '),
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: createHash('sha256').update(checks.codeVerifier).digest('base64url'),
        code_challenge_method: 'S256',
      });
      return { url: url.href, ...checks };
    },

    async callback(callbackUrl, expected) {
      const url = new URL(callbackUrl);
      // Checked first and here, before any request leaves: a forged callback costs nothing.
      if (!sameSecret(url.searchParams.get('state'), expected.state)) {
        throw stateError('the login callback does not belong to this login (state mismatch); start the login again');
      }
      if (!expected.nonce) throw nonceError('no nonce was kept for this login');
      const config = await discover();
      try {
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        });
        const raw = tokens.claims();
        if (!raw) throw providerError('the identity provider returned no ID token');
        return claimsFromIdToken(raw, {
          groupsClaim: options.groupsClaim,
          requireVerifiedEmail: options.requireVerifiedEmail,
          clockTolerance: options.clockTolerance,
          now: clock(),
        });
      } catch (error) {
        throw toOidcError(error);
      }
    },
  };
}

function sameSecret(given: string | null, expected: string): boolean {
  if (!given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
