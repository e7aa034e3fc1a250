import { isAbsolute, join, resolve } from 'node:path';
import { parseProxySources } from '@access/gateway';
import { parseDuration } from './duration.ts';
import { loadOidcConfig, type OidcConfig } from './oidc/oidc-config.ts';

/** Everything the CA reads from its environment, validated once at start. */
export interface CaConfig {
  dataDir: string;
  /** `postgres://…`; undefined means the embedded PGlite database in the data directory. */
  databaseUrl: string | undefined;
  /** Where `ca init` and `ca rotate` write keys, and where keys are read from without systemd credentials. */
  keyDir: string;
  /** systemd's `$CREDENTIALS_DIRECTORY`: when set, CA keys are read from here only. */
  credentialsDir: string | undefined;
  httpHost: string;
  httpPort: number;
  userCertMaxTtl: number;
  hostCertMaxTtl: number;
  /** How far `valid_after` is backdated, so a client whose clock is a little behind accepts a new certificate. */
  clockSkew: number;
  forbiddenPrincipals: string[];
  bodyLimit: number;
  /** Lowercased emails that get the `admin` role at their first login (ACCESS_BOOTSTRAP_ADMINS). */
  bootstrapAdmins: string[];
  /** The company IdP (ACCESS_OIDC_*); undefined = login off, unless `--dev` brings its own. */
  oidc: OidcConfig | undefined;
  /** How browsers and CLIs reach this CA (ACCESS_PUBLIC_URL), without a trailing slash: the OIDC redirect URI and device URL are made from it. */
  publicUrl: string;
  /** The recording gateway's SSH address as engineers dial it (ACCESS_GATEWAY_ADDR, else where it listens), told to the CLI at login. */
  gateway: { host: string; port: number };
  /** Where this process's gateway listens (--ssh-addr, ACCESS_SSH_ADDR); null runs the CA alone (--no-gateway). */
  sshAddr: { host: string; port: number } | null;
  /** The names the gateway's host certificate carries: the advertised host, plus ACCESS_GATEWAY_NAMES. */
  gatewayNames: string[];
  /** Seconds an upstream (per-session) certificate is valid (ACCESS_UPSTREAM_CERT_TTL, default 5m). */
  upstreamCertTtl: number;
  /**
   * Load balancers (addresses, CIDRs) whose connections to the gateway start with a PROXY
   * protocol header (--proxy-protocol-from, ACCESS_PROXY_PROTOCOL_FROM); empty: off.
   */
  proxyProtocolFrom: string[];
}

export interface ConfigInput {
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  httpAddr?: string | undefined;
  /** `--ssh-addr`; `false` is `--no-gateway`. */
  sshAddr?: string | false | undefined;
  /** `--proxy-protocol-from`, over ACCESS_PROXY_PROTOCOL_FROM. */
  proxyProtocolFrom?: string | undefined;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
}

export const DEFAULT_HTTP_ADDR = '127.0.0.1:3080';
export const DEFAULT_CLOCK_SKEW = 300;
export const DEFAULT_GATEWAY_ADDR = '127.0.0.1:3022';
/** The OIDC redirect URI is `<public URL>` + this, unless ACCESS_OIDC_REDIRECT_URI says otherwise. */
export const LOGIN_CALLBACK_PATH = '/v1/login/callback';

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(flags: ConfigInput, env: NodeJS.ProcessEnv): CaConfig {
  const dataDir = resolve(flags.dataDir ?? env['ACCESS_DATA_DIR'] ?? '.access-data');
  const databaseUrl = flags.databaseUrl ?? env['ACCESS_DATABASE_URL'] ?? undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('ACCESS_DATABASE_URL must start with postgres:// (leave it unset for the embedded database)');
  }
  const { host, port } = parseHostPort(flags.httpAddr ?? env['ACCESS_HTTP_ADDR'] ?? DEFAULT_HTTP_ADDR, '--http-addr');
  const credentialsDir = env['CREDENTIALS_DIRECTORY'] || undefined;
  if (credentialsDir && !isAbsolute(credentialsDir)) throw new ConfigError('CREDENTIALS_DIRECTORY must be an absolute path');
  const publicUrl = parsePublicUrl(env['ACCESS_PUBLIC_URL'] || `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const sshAddr = flags.sshAddr === false ? null : parseHostPort(flags.sshAddr || env['ACCESS_SSH_ADDR'] || DEFAULT_GATEWAY_ADDR, '--ssh-addr');
  const { gateway, names: gatewayNames } = advertisedGateway(env, sshAddr ?? parseHostPort(DEFAULT_GATEWAY_ADDR, '--ssh-addr'));
  return {
    dataDir,
    databaseUrl: databaseUrl || undefined,
    keyDir: join(dataDir, 'keys'),
    credentialsDir,
    httpHost: host,
    httpPort: port,
    userCertMaxTtl: durationSetting(env, 'ACCESS_USER_CERT_MAX_TTL', '24h'),
    hostCertMaxTtl: durationSetting(env, 'ACCESS_HOST_CERT_MAX_TTL', '90d'),
    clockSkew: durationSetting(env, 'ACCESS_CLOCK_SKEW', `${DEFAULT_CLOCK_SKEW}s`),
    forbiddenPrincipals: (env['ACCESS_FORBIDDEN_PRINCIPALS'] ?? 'root')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    bodyLimit: 64 * 1024,
    bootstrapAdmins: emailList(env, 'ACCESS_BOOTSTRAP_ADMINS'),
    oidc: loadOidcConfig(env, { credentialsDir, defaultRedirectUri: `${publicUrl}${LOGIN_CALLBACK_PATH}` }),
    publicUrl,
    gateway,
    sshAddr,
    gatewayNames,
    upstreamCertTtl: durationSetting(env, 'ACCESS_UPSTREAM_CERT_TTL', '5m'),
    proxyProtocolFrom: proxySources(flags.proxyProtocolFrom ?? env['ACCESS_PROXY_PROTOCOL_FROM']),
  };
}

/**
 * How engineers dial the gateway (ACCESS_GATEWAY_ADDR, else where it listens) and the names
 * its host certificate carries: that host, plus ACCESS_GATEWAY_NAMES.
 */
export function advertisedGateway(env: NodeJS.ProcessEnv, listening: { host: string; port: number }): { gateway: { host: string; port: number }; names: string[] } {
  const gateway = env['ACCESS_GATEWAY_ADDR'] ? parseHostPort(env['ACCESS_GATEWAY_ADDR'], 'ACCESS_GATEWAY_ADDR') : listening;
  const extra = (env['ACCESS_GATEWAY_NAMES'] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  return { gateway, names: [...new Set([gateway.host, ...extra])] };
}

/** ACCESS_PROXY_PROTOCOL_FROM, checked here so a bad entry stops the start, not the first connection. */
export function proxySources(value: string | undefined): string[] {
  try {
    return [...parseProxySources(value).entries];
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`ACCESS_PUBLIC_URL must be a URL such as https://access.example.com, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('ACCESS_PUBLIC_URL must be an http:// or https:// URL');
  if (url.search || url.hash || url.username) throw new ConfigError('ACCESS_PUBLIC_URL must not have a query, a fragment or credentials');
  return url.href.replace(/\/$/, '');
}

function emailList(env: NodeJS.ProcessEnv, name: string): string[] {
  const emails = (env[name] ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  const bad = emails.find((e) => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e));
  if (bad !== undefined) throw new ConfigError(`${name} must be comma-separated email addresses; "${bad}" is not one`);
  return [...new Set(emails)];
}

function durationSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  try {
    return parseDuration(env[name] ?? fallback, name);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

export function parseHostPort(addr: string, what: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(addr.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 0 || port > 65_535) {
    throw new ConfigError(`${what} must look like 127.0.0.1:3080 (host:port), got "${addr}"`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
