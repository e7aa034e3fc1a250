import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, for heap measurements: `global.gc` when node ran with
 * --expose-gc, else the same function exposed at run time (V8 flag set, then read from a
 * fresh context). Null if neither works; callers then skip heap assertions and say so.
 */
export function forceGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** Heap used after a full collection (twice: weak references and finalizers free more on the second). */
export function settledHeap(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
