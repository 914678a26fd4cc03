/**
 * Randomness for the protocol (which member to probe, gossip to, push/pull
 * with; timer staggers) behind one function type, so a simulation can pass a
 * seeded generator and replay a run exactly.
 */

/** Returns a uniformly distributed number in [0, 1). */
export type Random = () => number;

/**
 * A small, fast, seeded generator (sfc32). Not cryptographic: it only decides
 * protocol choices, never keys or nonces.
 */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Mix the state so that nearby seeds diverge at once.
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A random index in [0, n) (0 when n is 0), as memberlist's randomOffset. */
export function randomOffset(random: Random, n: number): number {
  return n <= 0 ? 0 : Math.floor(random() * n);
}

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(random: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/**
 * Up to `k` distinct random items for which `exclude` is false. Like
 * memberlist's kRandomNodes, it draws at most 3n times, so with few eligible
 * items it may return fewer than k even when more exist.
 */
export function kRandom<T>(random: Random, k: number, items: readonly T[], exclude: (item: T) => boolean): T[] {
  const n = items.length;
  const out: T[] = [];
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    const item = items[randomOffset(random, n)]!;
    if (exclude(item) || out.includes(item)) continue;
    out.push(item);
  }
  return out;
}
