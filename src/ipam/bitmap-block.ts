/**
 * One block of the sparse bitmap: 2^16 bits in 2048 32-bit words (8 KiB),
 * plus a 2048-bit summary (64 words) whose bit i says "word i is full".
 * Finding the next free bit therefore reads at most one word, then at most
 * 64 summary words, then one word again, whatever the fill of the block.
 */

export const BLOCK_BITS = 16;
export const BLOCK_SIZE = 1 << BLOCK_BITS;
const WORDS = BLOCK_SIZE >>> 5;
const SUMMARY_WORDS = WORDS >>> 5;
const FULL = 0xffffffff;

/** Index of the lowest set bit of a non-zero 32-bit value. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class BitmapBlock {
  readonly words = new Uint32Array(WORDS);
  /** Bit i set <=> words[i] is all ones. */
  readonly full = new Uint32Array(SUMMARY_WORDS);
  /** Clear bits among the first `capacity` ones. */
  free: number;

  /**
   * @param capacity usable bits (the last block of a range may be partial);
   *   the bits past it are set once here, so searches never return them,
   *   and are not counted as used.
   */
  constructor(readonly capacity: number) {
    this.free = capacity;
    for (let i = capacity; i < BLOCK_SIZE; i++) this.mark(i);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Set bit i; false if it was set already. */
  set(i: number): boolean {
    if (!this.mark(i)) return false;
    this.free--;
    return true;
  }

  /** Clear bit i; false if it was clear already. */
  clear(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = this.words[w]!;
    if ((word & bit) === 0) return false;
    if (word === FULL) this.full[w >>> 5] = this.full[w >>> 5]! & ~(1 << (w & 31));
    this.words[w] = word & ~bit;
    this.free++;
    return true;
  }

  private mark(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = this.words[w]!;
    if ((word & bit) !== 0) return false;
    const next = (word | bit) >>> 0;
    this.words[w] = next;
    if (next === FULL) this.full[w >>> 5] = this.full[w >>> 5]! | (1 << (w & 31));
    return true;
  }

  /** The first clear bit in [from, to), or -1. */
  findFree(from: number, to: number): number {
    let w = from >>> 5;
    let x = ~this.words[w]! & (FULL << (from & 31));
    if (x === 0) {
      // Skip full words through the summary.
      w++;
      if (w >= WORDS) return -1;
      let sw = w >>> 5;
      let s = ~this.full[sw]! & (FULL << (w & 31));
      while (s === 0) {
        sw++;
        if (sw >= SUMMARY_WORDS || sw << 10 >= to) return -1;
        s = ~this.full[sw]!;
      }
      w = (sw << 5) + lowestBit(s);
      x = ~this.words[w]!;
    }
    const found = (w << 5) + lowestBit(x);
    return found < to ? found : -1;
  }

  /** Append the runs of set bits among the first `capacity` as [start, end) pairs, offset by `base`. */
  collectRuns(base: number, out: number[]): void {
    let i = 0;
    const cap = this.capacity;
    while (i < cap) {
      const w = i >>> 5;
      const word = this.words[w]!;
      // Jump over whole clear or whole set words quickly.
      if ((i & 31) === 0 && word === 0) {
        i += 32;
        continue;
      }
      if (!this.has(i)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < cap) {
        if ((j & 31) === 0 && this.words[j >>> 5] === FULL) {
          j += 32;
          continue;
        }
        if (!this.has(j)) break;
        j++;
      }
      if (j > cap) j = cap;
      const last = out.length - 1;
      // Merge with a run ending exactly where this one starts (across blocks).
      if (last >= 1 && out[last] === base + i) out[last] = base + j;
      else out.push(base + i, base + j);
      i = j;
    }
  }
}
