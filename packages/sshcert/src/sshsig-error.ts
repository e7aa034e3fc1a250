export type SshSigErrorCode =
  /** Not an armored SSHSIG, or its binary form does not parse. */
  | 'ERR_SSHSIG_MALFORMED'
  /** A version or hash algorithm this code does not implement. */
  | 'ERR_SSHSIG_UNSUPPORTED'
  /** Made for another purpose (namespace) than the one the verifier asked for. */
  | 'ERR_SSHSIG_NAMESPACE'
  /** Made with another key than the one the verifier trusts. */
  | 'ERR_SSHSIG_WRONG_KEY'
  /** The right key and namespace, but the signature does not fit the message: one of them changed. */
  | 'ERR_SSHSIG_INVALID';

/**
 * What `verifySshSig` and `parseSshSig` throw. A class of its own rather than an
 * `SshCertError`, whose codes are about certificates and keys; like it, `code` is stable
 * and `message` is safe to show (it never contains key material).
 */
export class SshSigError extends Error {
  readonly code: SshSigErrorCode;

  constructor(code: SshSigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshSigError';
    this.code = code;
  }
}
