/** A small seeded PRNG (mulberry32): the same seed replays the same run. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
}

export const MUTATIONS = ['bit-flip', 'byte-set', 'truncate', 'insert', 'delete', 'length-edit', 'duplicate'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Applies one mutation to a copy of `input`. */
export function mutateOnce(input: Buffer, random: SeededRandom, mutation: Mutation = random.pick(MUTATIONS)): Buffer {
  const data = Buffer.from(input);
  const at = random.int(Math.max(data.length, 1));
  switch (mutation) {
    case 'bit-flip':
      if (data.length > 0) data[at] = (data[at] ?? 0) ^ (1 << random.int(8));
      return data;
    case 'byte-set':
      if (data.length > 0) data[at] = random.pick([0x00, 0xff, 0x7f, 0x80, random.int(256)]);
      return data;
    case 'truncate':
      return data.subarray(0, at);
    case 'insert':
      return Buffer.concat([data.subarray(0, at), random.bytes(1 + random.int(8)), data.subarray(at)]);
    case 'delete':
      return Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + random.int(8))]);
    case 'length-edit': {
      // Rewrite what may be a uint32 length field: small deltas and hostile values.
      if (data.length < 4) return data;
      const offset = random.int(data.length - 3);
      const old = data.readUInt32BE(offset);
      const value = random.pick([old + 1, old - 1, old + 4, 0, 0xffffffff, 0x7fffffff, data.length, random.int(2 ** 32)]);
      data.writeUInt32BE(value >>> 0, offset);
      return data;
    }
    case 'duplicate': {
      const end = Math.min(data.length, at + 1 + random.int(32));
      return Buffer.concat([data.subarray(0, end), data.subarray(at, end), data.subarray(end)]);
    }
  }
}

/** One to three mutations in a row. */
export function mutate(input: Buffer, random: SeededRandom): Buffer {
  let data = input;
  const rounds = 1 + random.int(3);
  for (let i = 0; i < rounds; i++) data = mutateOnce(data, random);
  return data;
}
