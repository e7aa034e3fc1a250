export type SshCertErrorCode =
  | 'ERR_KEY_MALFORMED'
  | 'ERR_KEY_UNSUPPORTED'
  | 'ERR_KEY_TOO_WEAK'
  | 'ERR_KEY_ENCRYPTED'
  | 'ERR_CERT_MALFORMED'
  | 'ERR_CERT_SIGNATURE'
  | 'ERR_CERT_UNTRUSTED_CA'
  | 'ERR_CERT_TYPE'
  | 'ERR_CERT_EXPIRED'
  | 'ERR_CERT_NOT_YET_VALID'
  | 'ERR_CERT_PRINCIPAL'
  | 'ERR_PRINCIPAL_INVALID'
  | 'ERR_OPTION_INVALID'
  | 'ERR_EXTENSION_INVALID'
  | 'ERR_KRL_INVALID';

/**
 * The only error type this package throws for bad input. `code` is stable and
 * meant for programs; `message` is safe to show to a user (it never contains
 * key material) and says what is wrong.
 */
export class SshCertError extends Error {
  readonly code: SshCertErrorCode;

  constructor(code: SshCertErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshCertError';
    this.code = code;
  }
}

/** Runs `fn`; anything it throws that is not an SshCertError becomes one with `code`. */
export function wrapErrors<T>(code: SshCertErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SshCertError) throw error;
    throw new SshCertError(code, `${what} could not be read`, { cause: error });
  }
}

/** Quotes untrusted text for an error message: printable ASCII only, bounded length. */
export function quote(text: string, max = 64): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(clipped.replace(/[^\x20-\x7e]/g, '?'));
}
