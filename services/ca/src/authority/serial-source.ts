import type { Db } from '@access/db';
import { sql } from 'kysely';

/**
 * Certificate serials, taken from the database sequence in blocks so that signing needs no
 * round trip for them. Serials stay unique across instances (the sequence hands each block
 * out once) and never 0; a block left unused when the process stops leaves a gap, which
 * is harmless.
 */
export function serialSource(db: Db, blockSize = 128): (count: number) => Promise<bigint[]> {
  const available: bigint[] = [];
  let refill: Promise<void> | null = null;
  return async (count) => {
    while (available.length < count) {
      refill ??= (async () => {
        const size = Math.max(blockSize, count - available.length);
        const { rows } = await sql<{ serial: bigint }>`select nextval('cert_serial_seq') as serial from generate_series(1, ${size})`.execute(db);
        available.push(...rows.map((r) => r.serial));
      })().finally(() => {
        refill = null;
      });
      await refill;
    }
    return available.splice(0, count);
  };
}
