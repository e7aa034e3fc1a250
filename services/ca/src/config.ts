import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_GATEWAY_CONFIG, parseProxySources, type GatewayConfig } from '@access/gateway';
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
  /**
   * HTTP reverse proxies and load balancers (addresses, CIDRs) whose X-Forwarded-For the CA
   * believes (ACCESS_TRUST_PROXY_FROM); empty: none, the peer is the client. The client
   * address goes in audit events and the per-address limits (logins, enrollment refusals,
   * audited denials) count it.
   */
  trustProxyFrom: string[];
  /** The gateway's limits on connections, channels and silent clients (GATEWAY_LIMIT_SETTINGS). */
  gatewayLimits: GatewayLimits;
}

export type GatewayLimitKey =
  | 'handshakeTimeoutMs'
  | 'maxAuthFailures'
  | 'connectionRate'
  | 'connectionBurst'
  | 'maxUnauthenticatedPerAddress'
  | 'maxUnauthenticatedTotal'
  | 'maxOuterChannels'
  | 'maxInnerChannels'
  | 'clientAliveIntervalMs'
  | 'clientAliveCountMax'
  | 'maxSpoolBytes';
export type GatewayLimits = Pick<GatewayConfig, GatewayLimitKey>;

export interface GatewayLimitSetting {
  key: GatewayLimitKey;
  /** The long flag; commander's camel case of it is where its value comes in. */
  flag: string;
  env: string;
  /** `duration`: 90s, 5m (stored in ms); `count`: a whole number; `rate`: a positive number. */
  kind: 'duration' | 'count' | 'rate';
  max: number;
  description: string;
}

/** Every gateway limit: `start` and `gateway` offer each as a flag and read each from its variable. */
export const GATEWAY_LIMIT_SETTINGS: readonly GatewayLimitSetting[] = [
  { key: 'handshakeTimeoutMs', flag: '--handshake-timeout', env: 'ACCESS_HANDSHAKE_TIMEOUT', kind: 'duration', max: 600, description: 'a connection, or a connection to a host inside one, not signed in this long after it opened is dropped' },
  { key: 'maxAuthFailures', flag: '--max-auth-failures', env: 'ACCESS_MAX_AUTH_FAILURES', kind: 'count', max: 100, description: 'refused sign-in attempts before a connection is dropped' },
  { key: 'connectionRate', flag: '--connection-rate', env: 'ACCESS_CONNECTION_RATE', kind: 'rate', max: 100_000, description: 'new connections a second per client address, sustained' },
  { key: 'connectionBurst', flag: '--connection-burst', env: 'ACCESS_CONNECTION_BURST', kind: 'count', max: 100_000, description: 'new connections per client address at once before the rate applies' },
  { key: 'maxUnauthenticatedPerAddress', flag: '--max-unauthenticated', env: 'ACCESS_MAX_UNAUTHENTICATED', kind: 'count', max: 100_000, description: 'connections per client address not signed in yet' },
  { key: 'maxUnauthenticatedTotal', flag: '--max-startups', env: 'ACCESS_MAX_STARTUPS', kind: 'count', max: 1_000_000, description: 'connections from all addresses not signed in yet, like sshd\'s MaxStartups' },
  { key: 'maxOuterChannels', flag: '--max-outer-channels', env: 'ACCESS_MAX_OUTER_CHANNELS', kind: 'count', max: 100_000, description: 'channels (hosts reached) open at once on one connection to the gateway' },
  { key: 'maxInnerChannels', flag: '--max-inner-channels', env: 'ACCESS_MAX_INNER_CHANNELS', kind: 'count', max: 100_000, description: 'channels (sessions, forwarded connections) open at once on one connection to a host' },
  { key: 'clientAliveIntervalMs', flag: '--client-alive-interval', env: 'ACCESS_CLIENT_ALIVE_INTERVAL', kind: 'duration', max: 3600, description: 'silence from a signed-in client after which the gateway asks whether it is there' },
  { key: 'clientAliveCountMax', flag: '--client-alive-count-max', env: 'ACCESS_CLIENT_ALIVE_COUNT_MAX', kind: 'count', max: 100, description: 'unanswered asks after which its connection and sessions end' },
  { key: 'maxSpoolBytes', flag: '--spool-max-bytes', env: 'ACCESS_SPOOL_MAX_BYTES', kind: 'count', max: 2 ** 50, description: 'bytes of recordings the spool holds while the database is away; past it sessions end and new ones are refused' },
];

export interface ConfigInput {
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  httpAddr?: string | undefined;
  /** `--ssh-addr`; `false` is `--no-gateway`. */
  sshAddr?: string | false | undefined;
  /** `--proxy-protocol-from`, over ACCESS_PROXY_PROTOCOL_FROM. */
  proxyProtocolFrom?: string | undefined;
  /** The gateway limit flags by commander's name (`handshakeTimeout` for `--handshake-timeout`), over their ACCESS_* variables. */
  gatewayLimits?: Readonly<Record<string, unknown>> | undefined;
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
    trustProxyFrom: proxySources(env['ACCESS_TRUST_PROXY_FROM'], 'ACCESS_TRUST_PROXY_FROM'),
    gatewayLimits: gatewayLimits(flags.gatewayLimits ?? {}, env),
  };
}

/** `--max-auth-failures` → `maxAuthFailures`: where commander puts a flag's value. */
export const flagOptionName = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The gateway's limits: flags (by commander's name) over ACCESS_* variables over the gateway's defaults, each checked. */
export function gatewayLimits(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): GatewayLimits {
  const limits = {} as GatewayLimits;
  for (const setting of GATEWAY_LIMIT_SETTINGS) {
    const flagValue = flags[flagOptionName(setting.flag)];
    const value = typeof flagValue === 'string' ? flagValue : env[setting.env];
    limits[setting.key] = value === undefined || value === '' ? DEFAULT_GATEWAY_CONFIG[setting.key] : gatewayLimit(setting, value);
  }
  return limits;
}

function gatewayLimit(setting: GatewayLimitSetting, value: string): number {
  const what = `${setting.flag} (${setting.env})`;
  const text = value.trim();
  if (setting.kind === 'duration') {
    let seconds: number;
    try {
      seconds = parseDuration(text, what);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
    if (seconds > setting.max) throw new ConfigError(`${what} must be at most ${setting.max}s, got "${text}"`);
    return seconds * 1000;
  }
  const number = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  const whole = setting.kind === 'count';
  if (!(number > 0) || number > setting.max || (whole && !Number.isInteger(number))) {
    throw new ConfigError(`${what} must be ${whole ? 'a whole number from 1' : 'a number above 0, up'} to ${setting.max}, got "${text}"`);
  }
  return number;
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
export function proxySources(value: string | undefined, setting?: string): string[] {
  try {
    return [...parseProxySources(value, setting).entries];
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
