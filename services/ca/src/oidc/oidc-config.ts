import { ConfigError } from '../config.ts';
import { parseDuration } from '../duration.ts';
import { clientSecretPath } from './secret-file.ts';

/** The OIDC login settings, validated once at start. The secret itself is read later, from its file. */
export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  /** `$CREDENTIALS_DIRECTORY/oidc-client-secret` or `ACCESS_OIDC_CLIENT_SECRET_FILE`. */
  clientSecretFile: string;
  redirectUri: string;
  scopes: string[];
  groupsClaim: string;
  requireVerifiedEmail: boolean;
  /** Seconds. */
  clockTolerance: number;
}

export const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];

/**
 * Reads `ACCESS_OIDC_*` from the environment it is given. Returns undefined when no
 * issuer is configured (OIDC login off); any other missing piece is an error.
 */
export function loadOidcConfig(
  env: NodeJS.ProcessEnv,
  options: { credentialsDir: string | undefined; defaultRedirectUri?: string | undefined },
): OidcConfig | undefined {
  const issuer = env['ACCESS_OIDC_ISSUER']?.trim();
  if (!issuer) return undefined;
  const issuerUrl = parseUrl(issuer, 'ACCESS_OIDC_ISSUER');
  const clientId = env['ACCESS_OIDC_CLIENT_ID']?.trim();
  if (!clientId) throw new ConfigError('ACCESS_OIDC_CLIENT_ID is required when ACCESS_OIDC_ISSUER is set');
  const redirect = env['ACCESS_OIDC_REDIRECT_URI']?.trim() || options.defaultRedirectUri;
  if (!redirect) throw new ConfigError('ACCESS_OIDC_REDIRECT_URI is required when ACCESS_OIDC_ISSUER is set');
  const scopes = (env['ACCESS_OIDC_SCOPES'] ?? DEFAULT_OIDC_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError('ACCESS_OIDC_SCOPES must include openid');
  let clientSecretFile: string;
  try {
    clientSecretFile = clientSecretPath({ credentialsDir: options.credentialsDir, secretFile: env['ACCESS_OIDC_CLIENT_SECRET_FILE']?.trim() || undefined });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    issuerUrl: issuerUrl.href.replace(/\/$/, ''),
    clientId,
    clientSecretFile,
    redirectUri: parseUrl(redirect, 'ACCESS_OIDC_REDIRECT_URI').href,
    scopes,
    groupsClaim: env['ACCESS_OIDC_GROUPS_CLAIM']?.trim() || 'groups',
    requireVerifiedEmail: parseBoolean(env['ACCESS_OIDC_REQUIRE_VERIFIED_EMAIL'], true, 'ACCESS_OIDC_REQUIRE_VERIFIED_EMAIL'),
    clockTolerance: parseTolerance(env['ACCESS_OIDC_CLOCK_TOLERANCE'] ?? '30s'),
  };
}

function parseUrl(value: string, name: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${value}"`);
  }
}

function parseBoolean(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  if (/^(true|1|yes)$/i.test(value.trim())) return true;
  if (/^(false|0|no)$/i.test(value.trim())) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

function parseTolerance(value: string): number {
  try {
    return parseDuration(value, 'ACCESS_OIDC_CLOCK_TOLERANCE');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
