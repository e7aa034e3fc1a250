import { SshCertError } from './errors.ts';
import type { SshCertErrorCode } from './errors.ts';

/** Longest one-line key or certificate we read (a certificate with 256 long principals fits). */
const MAX_LINE_LENGTH = 256 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 strictly: only the canonical encoding is accepted, so that
 * two different texts never decode to the same bytes (Buffer.from ignores junk).
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export interface KeyLine {
  readonly type: string;
  readonly blob: Buffer;
  readonly comment: string;
}

/** Splits an OpenSSH one-line "type base64 [comment]" text (surrounding whitespace is ignored). */
export function splitKeyLine(input: string | Buffer, code: SshCertErrorCode, what: string): KeyLine {
  if (input.length > MAX_LINE_LENGTH) throw new SshCertError(code, `${what} is too long`);
  const text = (typeof input === 'string' ? input : input.toString('utf8')).trim();
  if (/[\r\n]/.test(text)) throw new SshCertError(code, `${what} must be a single line`);
  const match = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(text);
  if (match === null) throw new SshCertError(code, `${what} must look like "<type> <base64> [comment]"`);
  const [, type = '', encoded = '', comment = ''] = match;
  const blob = decodeBase64Strict(encoded);
  if (blob === undefined) throw new SshCertError(code, `${what} is not valid base64`);
  return { type, blob, comment };
}
