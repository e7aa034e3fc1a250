// Long fuzz run for @access/sshcert: `npx tsx bench/fuzz-sshcert.ts [iterations] [seed]`.
// Exits non-zero if any parser threw something other than SshCertError or a
// mutated certificate verified.
import { buildFuzzCorpus, runFuzz } from '../packages/sshcert/src/testing/fuzz-harness.ts';

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(iterations) || iterations <= 0 || !Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx bench/fuzz-sshcert.ts [iterations] [seed]');
  process.exit(2);
}

const corpus = buildFuzzCorpus();
const started = performance.now();
const stats = runFuzz(corpus, iterations, seed);
const seconds = (performance.now() - started) / 1000;

console.table({
  seed,
  iterations: stats.iterations,
  'rejected by parse': stats.rejectedByParse,
  'rejected by verify': stats.rejectedByVerify,
  'accepted (keys, KRLs)': stats.acceptedNonCertificates,
  'unchanged by mutation': stats.unchanged,
  'unexpected (must be 0)': stats.unexpected,
  'iterations per second': Math.round(stats.iterations / seconds),
});
for (const example of stats.examples) console.error(example);
process.exit(stats.unexpected === 0 ? 0 : 1);
