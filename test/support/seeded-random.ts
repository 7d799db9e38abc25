// A seeded generator (xorshift32) for tests that feed many generated inputs: the same inputs on every
// run, so a test's outcome never depends on chance. Not for anything that needs to be unpredictable.
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
