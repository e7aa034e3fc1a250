import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';

/**
 * TEST ONLY. A stand-in OpenID Provider: discovery, JWKS and a token endpoint that hands
 * out whatever ID token the test made. A real provider (the dev IdP) cannot be made to
 * issue a token with the wrong audience, a bad signature or `alg: none`, and those are
 * exactly what the relying party must refuse; every other test uses the real one.
 */
export interface FakeIssuer {
  issuer: string;
  clientId: string;
  /** Claims a good token for `nonce` would carry right now. */
  goodClaims(nonce: string): JWTPayload;
  /** Signs with the key the JWKS publishes (or `key`, to forge one). */
  sign(claims: JWTPayload, options?: { key?: CryptoKey; kid?: string }): Promise<string>;
  unsigned(claims: JWTPayload): string;
  /** A key the JWKS does not publish, for forged signatures. */
  otherKey: CryptoKey;
  /** Registers a one-time authorization code that the token endpoint exchanges for `idToken`. */
  issueCode(idToken: string): string;
  close(): Promise<void>;
}

export async function startFakeIssuer(options: { clientId: string; now?: () => number }): Promise<FakeIssuer> {
  const now = options.now ?? Date.now;
  const signing = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const kid = 'fake-issuer-key';
  const jwks = { keys: [{ ...(await exportJWK(signing.publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const codes = new Map<string, { idToken: string; used: boolean }>();
  let counter = 0;

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && path === '/jwks') return json(200, jwks);
    if (req.method === 'POST' && path === '/token') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const entry = codes.get(form.get('code') ?? '');
        if (!entry || entry.used || !form.get('code_verifier')) return json(400, { error: 'invalid_grant' });
        entry.used = true;
        json(200, { access_token: `at-${++counter}`, token_type: 'Bearer', expires_in: 60, id_token: entry.idToken });
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId: options.clientId,
    otherKey: other.privateKey,
    goodClaims: (nonce) => {
      const iat = Math.floor(now() / 1000);
      return {
        iss: issuer,
        aud: options.clientId,
        sub: 'user-123',
        iat,
        exp: iat + 300,
        nonce,
        email: 'dana@example.com',
        email_verified: true,
        name: 'Dana',
        groups: ['engineers'],
      };
    },
    sign: (claims, opts = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? kid }).sign(opts.key ?? signing.privateKey),
    unsigned: (claims) => new UnsecuredJWT(claims).encode(),
    issueCode: (idToken) => {
      const code = `code-${++counter}`;
      codes.set(code, { idToken, used: false });
      return code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
