import type { AuditLog } from '@access/audit';
import type { Db, RolePermissions } from '@access/db';
import { fingerprint, formatPublicKey, parsePublicKey, type SshCertificate, type SshPublicKey } from '@access/sshcert';
import { sql } from 'kysely';
import type { EngineerIdentity, GatewayCa, SessionGrant, SessionRequest } from '@access/gateway';
import type { Authority } from '../authority/authority.ts';
import { AccessError, forbidden } from '../errors.ts';
import { resolveAccess } from '../identity/access-resolver.ts';
import { toHost, type Host } from '../identity/hosts.ts';
import { selectorMatches } from '../identity/labels.ts';
import { isLoginTemplate } from '../identity/login-template.ts';
import { NO_PERMISSIONS, PERMISSION_NAMES, toRole } from '../identity/role-input.ts';
import { getUser } from '../identity/users.ts';
import type { Keyring } from '../keys/keyring.ts';

/**
 * What the gateway asks of the CA (the gateway package's `GatewayCa`). The gateway checks
 * signatures and validity itself (it has the public CA keys); the CA answers who the person
 * is, whether they may still act, and signs only what their own grants allow.
 */
export type GatewayAuthority = GatewayCa;
export type { EngineerIdentity, SessionGrant, SessionRequest };

export interface GatewayAuthorityDeps {
  db: Db;
  audit: AuditLog;
  keyring: Keyring;
  authority: Authority;
  clock: () => Date;
  /** Seconds an upstream certificate is valid. */
  upstreamTtl: number;
  /** Seconds a host certificate the gateway presents is valid. */
  hostCertTtl: number;
  /** The names engineers dial the gateway by: the only names besides enrolled hosts it gets host certificates for. */
  gatewayNames: readonly string[];
}

const GATEWAY_ACTOR = { kind: 'system' as const, id: 'gateway' };

/** Seconds a host certificate the gateway presents (its own, or a target's) is valid; it renews at half-life. */
export const GATEWAY_HOST_CERT_TTL = 3600;

export function createGatewayAuthority(deps: GatewayAuthorityDeps): GatewayAuthority {
  const { db, audit, keyring, authority, clock } = deps;

  async function trustedKeys(kind: 'user' | 'host'): Promise<SshPublicKey[]> {
    return (await keyring.published()).filter((k) => k.kind === kind).map((k) => parsePublicKey(k.publicKey));
  }

  async function identify(certificate: SshCertificate): Promise<EngineerIdentity> {
    const subject = fingerprint(certificate.publicKey.blob);
    const row = await db
      .selectFrom('certificates')
      .select(['requested_by', 'ca_fingerprint', 'key_id'])
      .where('serial', '=', certificate.serial)
      .where('cert_type', '=', 'user')
      .where('subject_fingerprint', '=', subject)
      .where('ca_fingerprint', '=', fingerprint(certificate.signatureKey.blob))
      .executeTakeFirst();
    if (!row || !row.requested_by.startsWith('user:')) {
      throw forbidden('ERR_CERT_UNKNOWN', 'this certificate was not issued to a person by "access login"; run "access login" for one');
    }
    const revoked = await db
      .selectFrom('revocations')
      .select('reason')
      .where((eb) =>
        eb.or([
          eb.and([
            eb('kind', 'in', ['serial', 'serial_range']),
            eb.or([eb('ca_fingerprint', 'is', null), eb('ca_fingerprint', '=', row.ca_fingerprint)]),
            eb('serial_from', '<=', certificate.serial),
            eb(sql`coalesce(serial_to, serial_from)`, '>=', certificate.serial),
          ]),
          eb.and([eb('kind', '=', 'key_id'), eb('key_id', '=', row.key_id)]),
          eb.and([eb('kind', '=', 'key'), eb('public_key', '=', `${certificate.publicKey.type} ${certificate.publicKey.blob.toString('base64')}`)]),
        ]),
      )
      .executeTakeFirst();
    if (revoked) throw forbidden('ERR_CERT_REVOKED', `your certificate was revoked (${revoked.reason}); run "access login" for a new one`);
    const user = await getUser(db, row.requested_by.slice('user:'.length));
    if (user.lockedAt) {
      throw forbidden('ERR_USER_LOCKED', `your account was locked${user.lockReason ? `: ${user.lockReason}` : ''}; ask an admin to unlock it`);
    }
    return {
      userId: user.id,
      email: user.email,
      serial: certificate.serial.toString(),
      principals: [...certificate.principals],
      extensions: [...certificate.extensions].sort(),
      validBefore: new Date(Number(certificate.validBefore) * 1000),
    };
  }

  async function findHost(destination: string): Promise<Host | null> {
    const byName = await db.selectFrom('hosts').selectAll().where('name', '=', destination).executeTakeFirst();
    if (byName) return toHost(byName);
    const candidates = [destination, `${destination}:22`, `[${destination}]:22`];
    const byAddress = await db.selectFrom('hosts').selectAll().where('address', 'in', candidates).limit(2).execute();
    // An address two hosts share names neither: refuse rather than guess.
    return byAddress.length === 1 ? toHost(byAddress[0]!) : null;
  }

  async function decide(request: SessionRequest): Promise<Omit<SessionGrant, 'upstreamCertificate' | 'upstreamSerial' | 'validBefore'>> {
    const { identity, login } = request;
    const host = await findHost(request.destination);
    if (!host) throw forbidden('ERR_UNKNOWN_HOST', `"${request.destination}" is not an enrolled host; "access ls" lists the hosts you can reach`);
    if (!identity.principals.includes(login)) {
      throw forbidden('ERR_LOGIN_NOT_GRANTED', `your certificate does not name the login "${login}" (it names ${identity.principals.join(', ') || 'none'}); run "access login" if your roles changed`);
    }
    const user = await getUser(db, identity.userId);
    const access = await resolveAccess(db, user, clock());
    const claimed = user.login ?? (await db.selectFrom('users').select('login').where('id', '=', user.id).executeTakeFirst())?.login ?? null;
    const roles = (await db.selectFrom('roles').selectAll().where('name', 'in', access.roles.length ? access.roles : ['']).execute()).map(toRole);
    const matching = roles.filter(
      (r) => selectorMatches(r.hostLabels, host.labels) && r.logins.some((l) => (isLoginTemplate(l) ? claimed === login : l === login)),
    );
    if (matching.length === 0) {
      throw forbidden('ERR_LOGIN_NOT_GRANTED', `none of your roles lets you in to ${host.name} as "${login}"; "access ls" lists the logins you have there`);
    }
    const permissions = { ...NO_PERMISSIONS };
    for (const role of matching) for (const p of PERMISSION_NAMES) permissions[p] ||= role.permissions[p];
    // The certificate was made from the roles at login: it can narrow what they give now, never widen it.
    const certAllows: Record<keyof RolePermissions, boolean> = {
      pty: identity.extensions.includes('permit-pty'),
      portForwarding: identity.extensions.includes('permit-port-forwarding'),
      agentForwarding: identity.extensions.includes('permit-agent-forwarding'),
      x11: identity.extensions.includes('permit-X11-forwarding'),
      fileTransfer: true,
    };
    for (const p of PERMISSION_NAMES) permissions[p] &&= certAllows[p];
    return { host, login, permissions, roles: matching.map((r) => r.name) };
  }

  return {
    trustedKeys,
    identify,

    async authorize(request) {
      let decision;
      try {
        decision = await decide(request);
      } catch (error) {
        if (error instanceof AccessError && error.status < 500) {
          await audit.append({
            type: 'session.denied',
            actor: { kind: 'user', id: request.identity.userId, name: request.identity.email },
            remote: request.clientAddress,
            details: { code: error.code, reason: error.message, login: request.login, destination: request.destination, connectionId: request.connectionId },
          });
        }
        throw error;
      }
      const extensions = [
        ...(decision.permissions.pty ? ['permit-pty'] : []),
        ...(decision.permissions.portForwarding ? ['permit-port-forwarding'] : []),
        ...(decision.permissions.agentForwarding ? ['permit-agent-forwarding'] : []),
      ].sort();
      const issued = await authority.sign(
        {
          type: 'user',
          signer: 'upstream',
          publicKey: request.upstreamPublicKey,
          principals: [request.login],
          ttl: deps.upstreamTtl,
          keyId: `${request.identity.email} ${request.connectionId}`,
          criticalOptions: { sourceAddress: request.sourceAddress },
          extensions,
        },
        { actor: { kind: 'user', id: request.identity.userId, name: request.identity.email }, remote: request.clientAddress },
      );
      // What the hosts pages show as the host's last session.
      await db.updateTable('hosts').set({ last_seen_at: clock() }).where('name', '=', decision.host.name).execute();
      return { ...decision, upstreamCertificate: issued.certificate, upstreamSerial: issued.serial.toString(), validBefore: issued.validBefore };
    },

    findHost,

    async hostCertificate(names, publicKey) {
      for (const name of names) {
        if (deps.gatewayNames.includes(name)) continue;
        const host = await db.selectFrom('hosts').select('name').where('name', '=', name).executeTakeFirst();
        if (!host) throw forbidden('ERR_UNKNOWN_HOST', `"${name}" is neither an enrolled host nor one of the gateway's names`);
      }
      const issued = await authority.sign(
        { type: 'host', publicKey: formatPublicKey(parsePublicKey(publicKey)), principals: [...names], ttl: deps.hostCertTtl, keyId: `gateway for ${names.join(',')}` },
        { actor: GATEWAY_ACTOR, remote: null },
      );
      return { certificate: issued.certificate, validBefore: issued.validBefore };
    },
  };
}
