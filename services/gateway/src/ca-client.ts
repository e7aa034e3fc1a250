import type { RolePermissions } from '@access/db';
import type { SshCertificate, SshPublicKey } from '@access/sshcert';

/** The person behind a user certificate. */
export interface EngineerIdentity {
  userId: string;
  email: string;
  serial: string;
  principals: string[];
  extensions: string[];
  validBefore: Date;
}

export interface HostInfo {
  name: string;
  address: string;
  labels: Record<string, string>;
}

export interface SessionGrant {
  host: HostInfo;
  login: string;
  permissions: RolePermissions;
  roles: string[];
  upstreamCertificate: string;
  upstreamSerial: string;
  validBefore: Date;
}

/** One connection the gateway asks the CA to allow. */
export interface SessionRequest {
  /** The certificate the engineer signed in with: a CA across the network identifies it again itself. */
  certificate: SshCertificate;
  identity: EngineerIdentity;
  login: string;
  /** What the engineer asked the gateway for: an enrolled host's name, or its exact address. */
  destination: string;
  /** Shared by every channel of this ssh connection; named in the upstream certificate's key id. */
  connectionId: string;
  /** The gateway's key that will sign in to the target. */
  upstreamPublicKey: string;
  /** The address the target sees the gateway connect from (the certificate's source-address). */
  sourceAddress: string;
  clientAddress: string | null;
}

/**
 * What the gateway needs from the CA: public CA keys, who a certificate belongs to, a
 * decision and an upstream certificate per connection, and host certificates to present.
 * The CA keeps every private key; it signs only what the person's own grants allow.
 */
export interface GatewayCa {
  trustedKeys(kind: 'user' | 'host'): Promise<SshPublicKey[]>;
  identify(certificate: SshCertificate): Promise<EngineerIdentity>;
  /** The enrolled host a destination (name or exact address) names, or null. */
  findHost(destination: string): Promise<HostInfo | null>;
  /** Decides, and signs an upstream certificate for this connection; throws with a one-line reason (and audits `session.denied`). */
  authorize(request: SessionRequest): Promise<SessionGrant>;
  /** A short-lived host certificate for an enrolled host's name or the gateway's own names. */
  hostCertificate(names: readonly string[], publicKey: string): Promise<{ certificate: string; validBefore: Date }>;
}
