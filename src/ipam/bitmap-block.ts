/**
 * One block of the sparse bitmap: 2^16 bits.
 *
 * A block starts as a short sorted list of its set bits, so an address
 * scattered alone in a huge IPv6 pool (a --ip, an aux address, a
 * MAC-derived address) costs a few dozen bytes, not a bitmap. Past
 * LIST_LIMIT bits it turns into 2048 32-bit words (8 KiB) plus a 2048-bit
 * summary (64 words) whose bit i says "word i is full"; finding the next
 * free bit then reads at most one word, 64 summary words and one word
 * again, however full the block is.
 */

export const BLOCK_BITS = 16;
export const BLOCK_SIZE = 1 << BLOCK_BITS;
const WORDS = BLOCK_SIZE >>> 5;
const SUMMARY_WORDS = WORDS >>> 5;
const FULL = 0xffffffff;
/** Set bits a block keeps as a list before it becomes a bitmap (a list of 64 costs about what 1/16 of the bitmap does). */
export const LIST_LIMIT = 64;

/** Index of the lowest set bit of a non-zero 32-bit value. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Position of the first element >= v in a sorted list. */
function lowerBound(list: readonly number[], v: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class BitmapBlock {
  /** Sorted set bits while the block is sparse; undefined once it is a bitmap. */
  private list: number[] | undefined = [];
  private words: Uint32Array | undefined;
  /** Bit i set <=> words[i] is all ones. */
  private full: Uint32Array | undefined;
  /** Clear bits among the first `capacity` ones. */
  free: number;

  /** @param capacity usable bits: the last block of a bitmap may be partial. */
  constructor(readonly capacity: number) {
    this.free = capacity;
  }

  /** Whether the block holds a bitmap rather than a list (for tests and accounting). */
  get dense(): boolean {
    return this.words !== undefined;
  }

  has(i: number): boolean {
    const words = this.words;
    if (words !== undefined) return (words[i >>> 5]! & (1 << (i & 31))) !== 0;
    const list = this.list!;
    const at = lowerBound(list, i);
    return at < list.length && list[at] === i;
  }

  /** Set bit i; false if it was set already. */
  set(i: number): boolean {
    if (this.words === undefined) {
      const list = this.list!;
      const at = lowerBound(list, i);
      if (at < list.length && list[at] === i) return false;
      if (list.length < LIST_LIMIT) {
        list.splice(at, 0, i);
        this.free--;
        return true;
      }
      this.densify();
    }
    if (!this.mark(i)) return false;
    this.free--;
    return true;
  }

  /** Clear bit i; false if it was clear already. */
  clear(i: number): boolean {
    const words = this.words;
    if (words === undefined) {
      const list = this.list!;
      const at = lowerBound(list, i);
      if (at >= list.length || list[at] !== i) return false;
      list.splice(at, 1);
      this.free++;
      return true;
    }
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = words[w]!;
    if ((word & bit) === 0) return false;
    const full = this.full!;
    if (word === FULL) full[w >>> 5] = full[w >>> 5]! & ~(1 << (w & 31));
    words[w] = word & ~bit;
    this.free++;
    return true;
  }

  /** Turn the list into a bitmap. Bits past the capacity are set so searches never return them. */
  private densify(): void {
    const list = this.list!;
    this.words = new Uint32Array(WORDS);
    this.full = new Uint32Array(SUMMARY_WORDS);
    this.list = undefined;
    for (const i of list) this.mark(i);
    for (let i = this.capacity; i < BLOCK_SIZE; i++) this.mark(i);
  }

  private mark(i: number): boolean {
    const words = this.words!;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = words[w]!;
    if ((word & bit) !== 0) return false;
    const next = (word | bit) >>> 0;
    words[w] = next;
    if (next === FULL) this.full![w >>> 5] = this.full![w >>> 5]! | (1 << (w & 31));
    return true;
  }

  /** The first clear bit in [from, to), or -1. `to` must not exceed the capacity. */
  findFree(from: number, to: number): number {
    const words = this.words;
    if (words === undefined) {
      const list = this.list!;
      let at = lowerBound(list, from);
      let candidate = from;
      while (at < list.length && list[at] === candidate) {
        at++;
        candidate++;
      }
      return candidate < to ? candidate : -1;
    }
    const full = this.full!;
    let w = from >>> 5;
    let x = ~words[w]! & (FULL << (from & 31));
    if (x === 0) {
      // Skip full words through the summary.
      w++;
      if (w >= WORDS) return -1;
      let sw = w >>> 5;
      let s = ~full[sw]! & (FULL << (w & 31));
      while (s === 0) {
        sw++;
        if (sw >= SUMMARY_WORDS || sw << 10 >= to) return -1;
        s = ~full[sw]!;
      }
      w = (sw << 5) + lowestBit(s);
      x = ~words[w]!;
    }
    const found = (w << 5) + lowestBit(x);
    return found < to ? found : -1;
  }

  /** Append the runs of set bits among the first `capacity` as [start, end) pairs, offset by `base`, merging with a run that ends at `base`. */
  collectRuns(base: number, out: number[]): void {
    const push = (start: number, end: number) => {
      const last = out.length - 1;
      if (last >= 1 && out[last] === base + start) out[last] = base + end;
      else out.push(base + start, base + end);
    };
    const words = this.words;
    if (words === undefined) {
      for (const i of this.list!) push(i, i + 1);
      return;
    }
    const cap = this.capacity;
    let i = 0;
    while (i < cap) {
      // Jump over whole clear words, then whole set words, quickly.
      if ((i & 31) === 0 && words[i >>> 5] === 0) {
        i += 32;
        continue;
      }
      if (!this.has(i)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < cap) {
        if ((j & 31) === 0 && words[j >>> 5] === FULL) {
          j += 32;
          continue;
        }
        if (!this.has(j)) break;
        j++;
      }
      if (j > cap) j = cap;
      push(i, j);
      i = j;
    }
  }
}
