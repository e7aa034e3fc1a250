export type SubjectKeyType = 'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ssh-rsa';

export const SUBJECT_KEY_TYPES: readonly SubjectKeyType[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ssh-rsa',
];

export const CERT_SUFFIX = '-cert-v01@openssh.com';

/** Number of wire fields after the type name in a key blob (same layout inside a certificate). */
export const KEY_FIELD_COUNT: Readonly<Record<SubjectKeyType, number>> = {
  'ssh-ed25519': 1,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ssh-rsa': 2,
};

export function isSubjectKeyType(name: string): name is SubjectKeyType {
  return (SUBJECT_KEY_TYPES as readonly string[]).includes(name);
}

export function certAlgorithmFor(type: SubjectKeyType): string {
  return `${type}${CERT_SUFFIX}`;
}

/** The subject key type of a certificate algorithm name, if we support it. */
export function keyTypeOfCertAlgorithm(algorithm: string): SubjectKeyType | undefined {
  if (!algorithm.endsWith(CERT_SUFFIX)) return undefined;
  const base = algorithm.slice(0, -CERT_SUFFIX.length);
  return isSubjectKeyType(base) ? base : undefined;
}
