/** Builds SSH wire encoding (RFC 4251 §5). */
export class WireWriter {
  readonly #parts: Buffer[] = [];

  u8(value: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    this.#parts.push(b);
    return this;
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.#parts.push(b);
    return this;
  }

  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.#parts.push(b);
    return this;
  }

  raw(bytes: Buffer): this {
    this.#parts.push(bytes);
    return this;
  }

  string(bytes: Buffer | string): this {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    this.u32(b.length);
    this.#parts.push(b);
    return this;
  }

  /** A positive integer given as unsigned big-endian magnitude bytes. */
  positiveMpint(magnitude: Buffer): this {
    let start = 0;
    while (start < magnitude.length && magnitude[start] === 0) start++;
    const trimmed = magnitude.subarray(start);
    const first = trimmed[0];
    if (first !== undefined && (first & 0x80) !== 0) return this.string(Buffer.concat([Buffer.alloc(1), trimmed]));
    return this.string(trimmed);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}
