import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Configuration, JWK } from 'oidc-provider';
import { DEMO_USERS, demoAccount } from './demo-users.ts';
import { createInteractionHandler } from './interactions.ts';
import { renderMessagePage, sendHtml } from './login-page.ts';
import { memoryAdapterFactory } from './memory-adapter.ts';

export interface DevIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface DevIdpOptions {
  /** Loopback only: this provider knows demo users and one shared password. */
  host: string;
  /** 0 picks a free port; `issuer` tells which. */
  port: number;
  /** The demo users' password. */
  password: string;
  clients: DevIdpClient[];
  /** oidc-provider's server errors, for a person to read; never token or key material. */
  log?: ((line: string) => void) | undefined;
  /** Epoch milliseconds, for the expiry of stored sessions and codes. */
  now?: (() => number) | undefined;
}

export interface DevIdp {
  /** `http://127.0.0.1:<port>`: discovery is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  close(): Promise<void>;
}

export class DevIdpError extends Error {
  readonly code = 'ERR_DEV_IDP';
}

export function isLoopbackHost(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Starts a real OpenID Provider (`oidc-provider`) for the quickstart and the tests: the
 * same authorization code + PKCE flow, discovery, JWKS and token checks a company IdP
 * has, with three demo users. Its signing key and cookie keys exist only in memory and
 * change at every start, so a token from an earlier run never verifies.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  if (!isLoopbackHost(options.host)) {
    throw new DevIdpError(`the development identity provider listens on a loopback address only, not "${options.host}"`);
  }
  if (!options.password) throw new DevIdpError('the development identity provider needs a password for its demo users');
  if (!options.clients.length) throw new DevIdpError('the development identity provider needs at least one client');

  // Loaded here, not at the top: only `--dev` pays for it (and sees its Node 20 notice).
  const { Provider: ProviderClass } = await import('oidc-provider');
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) handler(req, res);
    else sendHtml(res, 503, renderMessagePage('Starting', 'the identity provider is starting'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  try {
    const provider = new ProviderClass(issuer, providerConfiguration(options));
    provider.on('server_error', (_ctx: unknown, error: Error) => options.log?.(`dev IdP: ${error.name}: ${error.message}`));
    const interactions = createInteractionHandler({ provider, password: options.password });
    const oidc = provider.callback();
    handler = (req, res) => {
      interactions(req, res)
        .then((handled) => {
          if (!handled) return oidc(req, res);
        })
        .catch((error: unknown) => {
          options.log?.(`dev IdP: ${(error as Error).message}`);
          if (!res.headersSent) sendHtml(res, 500, renderMessagePage('Error', 'the identity provider failed'));
        });
    };
  } catch (error) {
    server.close();
    throw error;
  }

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function providerConfiguration(options: DevIdpOptions): Configuration {
  return {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    })),
    adapter: memoryAdapterFactory(options.now ?? Date.now),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, sub) => {
      const user = DEMO_USERS.find((u) => u.id === sub);
      return user ? demoAccount(user) : undefined;
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // Put the scopes' claims in the ID token itself, as company IdPs do for groups.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    // Short lives: a dev login is one browser round trip. Set explicitly, which also quiets the library's notices.
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderMessagePage('Sign-in failed', `${String(out['error'])}: ${String(out['error_description'] ?? '')}`);
    },
  };
}

/** An ES256 key that lives only in this process: never written to disk, never logged. */
function signingKey(): JWK {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomUUID(), alg: 'ES256', use: 'sig' };
}
