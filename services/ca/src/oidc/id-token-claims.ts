import { emailUnverifiedError, tokenError } from './oidc-errors.ts';

/** Who logged in, as the identity provider vouches for it. */
export interface Claims {
  issuer: string;
  /** The provider's stable id for the person (`sub`); emails can be reassigned, this cannot. */
  subject: string;
  email: string;
  emailVerified: boolean;
  displayName: string;
  groups: string[];
}

export interface ClaimRules {
  /** Where group memberships are, e.g. `groups` or `cognito:groups`. */
  groupsClaim: string;
  requireVerifiedEmail: boolean;
  /** Seconds of clock difference tolerated for `iat`. */
  clockTolerance: number;
  now: Date;
}

/**
 * Reads the person out of an ID token whose signature, issuer, audience, expiry and nonce
 * were already checked. Adds the checks the library leaves to the application.
 */
export function claimsFromIdToken(raw: Record<string, unknown>, rules: ClaimRules): Claims {
  const iat = raw['iat'];
  const nowSeconds = Math.floor(rules.now.getTime() / 1000);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw tokenError('issued-at (iat) is missing');
  if (iat > nowSeconds + rules.clockTolerance) throw tokenError('issued in the future (iat)');

  const issuer = raw['iss'];
  const subject = raw['sub'];
  if (typeof issuer !== 'string' || typeof subject !== 'string' || !subject) throw tokenError('subject (sub) is missing');

  const email = raw['email'];
  if (typeof email !== 'string' || !email.includes('@')) throw tokenError('email claim is missing (is the email scope requested?)');
  // Some providers send the boolean as the string "true".
  const verified = raw['email_verified'] === true || raw['email_verified'] === 'true';
  if (rules.requireVerifiedEmail && !verified) throw emailUnverifiedError();

  return {
    issuer,
    subject,
    email: email.toLowerCase(),
    emailVerified: verified,
    displayName: displayName(raw, email),
    groups: groupsFrom(raw[rules.groupsClaim], rules.groupsClaim),
  };
}

function displayName(raw: Record<string, unknown>, email: string): string {
  const name = raw['name'];
  if (typeof name === 'string' && name.trim()) return name.trim();
  return email;
}

/** A missing claim means no groups; anything but a list of strings is the provider misconfigured. */
function groupsFrom(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((g): g is string => typeof g === 'string')) {
    throw tokenError(`the ${claim} claim is not a list of strings`);
  }
  return [...new Set(value)];
}
