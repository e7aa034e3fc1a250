import { describe, expect, it } from 'vitest';
import { buildFuzzCorpus, runFuzz } from './testing/fuzz-harness.ts';
import { SeededRandom, mutateOnce, MUTATIONS } from './testing/fuzz-mutations.ts';

describe('fuzzing the parsers with mutated inputs', () => {
  const corpus = buildFuzzCorpus();

  it('never throws anything but SshCertError and never verifies a mutated certificate (20k iterations)', () => {
    const stats = runFuzz(corpus, 20_000, 0x5eed);
    expect(stats.examples).toEqual([]);
    expect(stats.unexpected).toBe(0);
    // The run must actually reach the verifier, or it proves little.
    expect(stats.rejectedByVerify).toBeGreaterThan(100);
    expect(stats.rejectedByParse).toBeGreaterThan(1000);
  });

  it('every mutation kind changes its input for a given seed', () => {
    const input = corpus.certificates[0]?.cert.raw ?? Buffer.alloc(0);
    for (const mutation of MUTATIONS) {
      const random = new SeededRandom(7);
      const changed = Array.from({ length: 20 }, () => mutateOnce(input, random, mutation)).some((out) => !out.equals(input));
      expect([mutation, changed]).toEqual([mutation, true]);
    }
  });
});
