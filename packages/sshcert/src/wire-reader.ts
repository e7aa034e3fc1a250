import { SshCertError } from './errors.ts';
import type { SshCertErrorCode } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads SSH wire encoding (RFC 4251 §5) from a buffer. Every read is bounds
 * checked against the bytes that are actually there, so a hostile length can
 * never cause a large allocation or a read past the end.
 */
export class WireReader {
  #offset = 0;
  readonly #buf: Buffer;
  readonly #code: SshCertErrorCode;
  readonly #what: string;

  constructor(buf: Buffer, code: SshCertErrorCode, what: string) {
    this.#buf = buf;
    this.#code = code;
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#buf.length - this.#offset;
  }

  fail(problem: string): never {
    throw new SshCertError(this.#code, `${this.#what} is malformed: ${problem}`);
  }

  #take(n: number, field: string): Buffer {
    if (n > this.remaining) this.fail(`${field} is truncated`);
    const out = this.#buf.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  u8(field: string): number {
    return this.#take(1, field).readUInt8(0);
  }

  u32(field: string): number {
    return this.#take(4, field).readUInt32BE(0);
  }

  u64(field: string): bigint {
    return this.#take(8, field).readBigUInt64BE(0);
  }

  /** A length-prefixed byte string; returns a view into the input. */
  string(field: string): Buffer {
    const length = this.u32(`length of ${field}`);
    return this.#take(length, field);
  }

  /** A string that must be valid UTF-8 without NUL bytes (OpenSSH's C strings). */
  text(field: string): string {
    const bytes = this.string(field);
    if (bytes.includes(0)) this.fail(`${field} contains a NUL byte`);
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  /**
   * A positive mpint in canonical form (no superfluous leading zero); returns
   * the magnitude without any sign byte. Canonical form keeps one value to
   * exactly one encoding, which signature checks rely on.
   */
  positiveMpint(field: string, maxBytes: number): Buffer {
    const bytes = this.string(field);
    const first = bytes[0];
    if (first === undefined) this.fail(`${field} is zero`);
    if ((first & 0x80) !== 0) this.fail(`${field} is negative`);
    if (first === 0) {
      const second = bytes[1];
      if (second === undefined || (second & 0x80) === 0) this.fail(`${field} has a superfluous leading zero`);
    }
    const magnitude = first === 0 ? bytes.subarray(1) : bytes;
    if (magnitude.length > maxBytes) this.fail(`${field} is too large`);
    return magnitude;
  }

  /** Asserts that all input was consumed. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
