import { createAuditLog, type AuditLog } from '@access/audit';
import { describeListenerEvent, migrateToLatest, openDatabase, type DatabaseHandle } from '@access/db';
import { createAuthority } from './authority/authority.ts';
import { createGatewayAuthority, GATEWAY_HOST_CERT_TTL } from './gateway/gateway-authority.ts';
import { createRevocations } from './authority/revocations.ts';
import type { CaConfig } from './config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { createMetrics } from './http/metrics.ts';
import { seedBuiltinRoles } from './identity/bootstrap.ts';
import { createIdentity } from './identity/identity.ts';
import type { CaServices } from './http/services.ts';
import { initKeys } from './keys/key-admin.ts';
import { loadKeyring } from './keys/keyring.ts';
import { createLogins } from './login/logins.ts';
import { createStartLimiter } from './login/start-limiter.ts';
import { AUTH_DENIALS_AUDITED_PER_MINUTE, createRefusalLimiter } from './http/refusal-limiter.ts';
import type { RelyingParty } from './oidc/relying-party.ts';
import { createMachineTokens } from './tokens/machine-tokens.ts';
import { createUserTokens } from './tokens/user-tokens.ts';
import { EXPORTS_PER_MINUTE } from './audit/audit-export.ts';
import { createWebSessions } from './ui/web-sessions.ts';
import { createWebSignIn } from './ui/web-signin.ts';

export interface OpenOptions {
  clock?: (() => Date) | undefined;
  /** Generate CA keys when none exist yet (the quickstart); never with systemd credentials. */
  initKeysIfMissing?: boolean;
  /** Progress lines for a person (stderr). */
  say?: ((line: string) => void) | undefined;
  /** The OIDC relying party for `access login` (see `relyingPartyFromConfig`); without one, login answers 503. */
  relyingParty?: RelyingParty | null | undefined;
}

/** The database and audit log: all that commands which do not sign need. */
export interface Store {
  config: CaConfig;
  database: DatabaseHandle;
  audit: AuditLog;
  clock: () => Date;
  close(): Promise<void>;
}

export interface OpenedServices extends CaServices {
  close(): Promise<void>;
}

/** Logins one client address may start per minute. */
const LOGIN_STARTS_PER_MINUTE = 20;

/** Where CA private keys are read from: systemd's credentials directory when set, else the key directory. */
export const keySource = (config: CaConfig): string => config.credentialsDir ?? config.keyDir;

export async function openStore(config: CaConfig, options: OpenOptions = {}): Promise<Store> {
  const clock = options.clock ?? (() => new Date());
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  try {
    const database = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      onPoolError: (error) => options.say?.(`lost a database connection (it is replaced on the next query): ${error.message}`),
      onListenerEvent: (event) => options.say?.(describeListenerEvent(event)),
    });
    try {
      const applied = await migrateToLatest(database.db);
      if (applied.length) options.say?.(`applied migrations: ${applied.join(', ')}`);
    } catch (error) {
      await database.close();
      throw error;
    }
    const close = async () => {
      await database.close();
      unlock();
    };
    return { config, database, audit: createAuditLog(database.db, clock), clock, close };
  } catch (error) {
    unlock();
    throw error;
  }
}

/** The composition root shared by the server and the signing commands. */
export async function openServices(config: CaConfig, options: OpenOptions = {}): Promise<OpenedServices> {
  const store = await openStore(config, options);
  const { database, audit, clock } = store;
  const db = database.db;
  try {
    if (options.initKeysIfMissing && !config.credentialsDir) {
      const created = await initKeys({ db, audit, keyDir: config.keyDir, clock, onlyMissing: true });
      for (const k of created) options.say?.(`created the ${k.kind} CA key ${k.fingerprint} in ${k.path}`);
    }
    const keyring = await loadKeyring({ db, audit, keyDir: keySource(config), now: clock });
    const seeded = await seedBuiltinRoles({ db, audit, clock });
    if (seeded.length) options.say?.(`created the built-in roles: ${seeded.join(', ')}`);
    const limits = {
      userCertMaxTtl: config.userCertMaxTtl,
      hostCertMaxTtl: config.hostCertMaxTtl,
      clockSkew: config.clockSkew,
      forbiddenPrincipals: config.forbiddenPrincipals,
    };
    const authority = createAuthority({ db, audit, keyring, limits, clock });
    const userTokens = createUserTokens({ db, clock });
    const identity = createIdentity({ db, audit, clock, bootstrapAdmins: config.bootstrapAdmins });
    const logins = createLogins({
      db,
      audit,
      clock,
      authority,
      userTokens,
      keyring,
      identity,
      relyingParty: options.relyingParty ?? null,
      limiter: createStartLimiter({ perMinute: LOGIN_STARTS_PER_MINUTE, clock }),
      publicUrl: config.publicUrl,
      gateway: config.gateway,
      userCertMaxTtl: config.userCertMaxTtl,
    });
    const gateway = createGatewayAuthority({
      db,
      audit,
      keyring,
      authority,
      clock,
      upstreamTtl: config.upstreamCertTtl,
      hostCertTtl: GATEWAY_HOST_CERT_TTL,
      gatewayNames: config.gatewayNames,
    });
    const webSessions = createWebSessions({ db, clock });
    const webSignIn = createWebSignIn({
      db,
      identity,
      sessions: webSessions,
      relyingParty: options.relyingParty ?? null,
      limiter: createStartLimiter({ perMinute: LOGIN_STARTS_PER_MINUTE, clock }),
      clock,
    });
    return {
      ...store,
      web: { sessions: webSessions, signIn: webSignIn },
      exportLimiter: createStartLimiter({ perMinute: EXPORTS_PER_MINUTE, clock }),
      authDenials: createRefusalLimiter({ perMinute: AUTH_DENIALS_AUDITED_PER_MINUTE, clock }),
      keyring,
      authority,
      gateway,
      revocations: createRevocations({ db, audit, clock }),
      tokens: createMachineTokens({ db, audit, clock }),
      userTokens,
      identity,
      logins,
      metrics: createMetrics(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
