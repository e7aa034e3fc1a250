export { SshCertError } from './errors.ts';
export type { SshCertErrorCode } from './errors.ts';

export { fingerprint, formatPublicKey, parsePublicKey, publicKeyFromBlob } from './public-key.ts';
export type { SshPublicKey, SubjectKeyType } from './public-key.ts';

export { generateCaKey, loadCaKey } from './ca-key.ts';
export type { CaSigner } from './ca-key.ts';

export { FOREVER, formatCertificate } from './certificate.ts';
export type { CertificateFields, CertType, SshCertificate } from './certificate.ts';
export { signCertificate } from './certificate-sign.ts';
export { parseCertificate } from './certificate-parse.ts';
export { verifyCertificate } from './certificate-verify.ts';
export { assertSshSignature } from './signature.ts';
export { sourceAddressAllows } from './source-address.ts';
export { parseSshSig, signSshSig, verifySshSig } from './sshsig.ts';
export type { SshSigHash, SshSignature } from './sshsig.ts';
export { SshSigError } from './sshsig-error.ts';
export type { SshSigErrorCode } from './sshsig-error.ts';
export type { VerifyOptions } from './certificate-verify.ts';

export {
  KNOWN_CRITICAL_OPTIONS,
  KNOWN_EXTENSIONS,
  validateCriticalOptions,
  validateExtensions,
  validatePrincipals,
} from './policy.ts';

export { encodeKrl, normalizeKrlSpec } from './krl.ts';
export type { KrlCertificateSection, KrlSpec } from './krl.ts';
export { parseKrl } from './krl-parse.ts';
