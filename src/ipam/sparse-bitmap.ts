/**
 * A bitmap over [0, size) for size up to 2^53 that only materialises the
 * 64 Ki-bit blocks holding at least one set bit. An absent block is all
 * clear; a block that becomes all clear again is dropped. A /8 with a million
 * addresses taken sequentially costs 16 blocks (~130 KiB); an IPv6 /64 costs
 * nothing until used.
 *
 * Offsets are numbers, not BigInts: exact below 2^53, and much faster.
 */
import { BLOCK_SIZE, BitmapBlock } from "./bitmap-block.js";

/** Largest size a bitmap accepts; larger IPv6 pools use a window of this size. */
export const MAX_BITMAP_SIZE = 2 ** 53;

export class SparseBitmap {
  private readonly blocks = new Map<number, BitmapBlock>();
  // One-entry cache: sequential work stays in the same block 65536 times in a row.
  private cachedIndex = -1;
  private cachedBlock: BitmapBlock | undefined;
  private setCount = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_BITMAP_SIZE) {
      throw new RangeError(`bitmap size must be an integer in [1, 2^53], got ${size}`);
    }
  }

  /** Number of set bits. */
  get count(): number {
    return this.setCount;
  }

  /** Number of materialised blocks (for memory accounting and tests). */
  get blockCount(): number {
    return this.blocks.size;
  }

  private block(index: number): BitmapBlock | undefined {
    if (index === this.cachedIndex) return this.cachedBlock;
    const b = this.blocks.get(index);
    if (b !== undefined) {
      this.cachedIndex = index;
      this.cachedBlock = b;
    }
    return b;
  }

  private materialise(index: number): BitmapBlock {
    const start = index * BLOCK_SIZE;
    const b = new BitmapBlock(Math.min(BLOCK_SIZE, this.size - start));
    this.blocks.set(index, b);
    this.cachedIndex = index;
    this.cachedBlock = b;
    return b;
  }

  private check(offset: number): void {
    if (!(offset >= 0 && offset < this.size && Number.isInteger(offset))) {
      throw new RangeError(`offset ${offset} outside bitmap of size ${this.size}`);
    }
  }

  has(offset: number): boolean {
    this.check(offset);
    const index = Math.floor(offset / BLOCK_SIZE);
    const b = this.block(index);
    return b !== undefined && b.has(offset - index * BLOCK_SIZE);
  }

  /** Set a bit; false if it was set already. */
  set(offset: number): boolean {
    this.check(offset);
    const index = Math.floor(offset / BLOCK_SIZE);
    const b = this.block(index) ?? this.materialise(index);
    if (!b.set(offset - index * BLOCK_SIZE)) return false;
    this.setCount++;
    return true;
  }

  /** Clear a bit; false if it was clear already. */
  clear(offset: number): boolean {
    this.check(offset);
    const index = Math.floor(offset / BLOCK_SIZE);
    const b = this.block(index);
    if (b === undefined || !b.clear(offset - index * BLOCK_SIZE)) return false;
    this.setCount--;
    if (b.free === b.capacity) {
      // Back to all clear: give the memory back, the block reads as absent.
      this.blocks.delete(index);
      this.cachedIndex = -1;
      this.cachedBlock = undefined;
    }
    return true;
  }

  /**
   * The first clear bit in [from, to), or -1. Costs one step per materialised
   * full block crossed, so at most (set bits / 65536) + 1 steps.
   */
  findFree(from: number, to: number): number {
    if (to > this.size) to = this.size;
    while (from < to) {
      const index = Math.floor(from / BLOCK_SIZE);
      const start = index * BLOCK_SIZE;
      const b = this.block(index);
      if (b === undefined) return from;
      if (b.free > 0) {
        const found = b.findFree(from - start, Math.min(BLOCK_SIZE, to - start));
        if (found >= 0) return start + found;
      }
      from = start + BLOCK_SIZE;
    }
    return -1;
  }

  /** Runs of set bits in ascending order as a flat list [start0, end0, start1, end1, ...] (end exclusive). */
  runs(): number[] {
    const out: number[] = [];
    const indexes = [...this.blocks.keys()].sort((a, b) => a - b);
    for (const index of indexes) this.blocks.get(index)!.collectRuns(index * BLOCK_SIZE, out);
    return out;
  }
}
