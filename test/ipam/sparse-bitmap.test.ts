import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BLOCK_SIZE, BitmapBlock, LIST_LIMIT } from "../../src/ipam/bitmap-block.js";
import { MAX_BITMAP_SIZE, SparseBitmap } from "../../src/ipam/sparse-bitmap.js";

/** The model: a plain Set of offsets. */
function modelFindFree(set: Set<number>, from: number, to: number): number {
  for (let i = from; i < to; i++) if (!set.has(i)) return i;
  return -1;
}

function modelRuns(set: Set<number>): number[] {
  const sorted = [...set].sort((a, b) => a - b);
  const out: number[] = [];
  for (const o of sorted) {
    if (out.length > 0 && out[out.length - 1] === o) out[out.length - 1] = o + 1;
    else out.push(o, o + 1);
  }
  return out;
}

type Op = { kind: "set" | "clear" | "setRun"; at: number; len: number };

describe("SparseBitmap", () => {
  it("behaves like a Set of offsets (set, clear, findFree, runs, count)", () => {
    // Sizes around block boundaries, including a partial last block.
    const size = fc.constantFrom(1, 33, 1000, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 7, 3 * BLOCK_SIZE + 100);
    fc.assert(
      fc.property(
        size.chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(
              fc.record({
                kind: fc.constantFrom<Op["kind"]>("set", "clear", "setRun"),
                at: fc.integer({ min: 0, max: n - 1 }),
                len: fc.integer({ min: 1, max: 3000 }),
              }),
              { maxLength: 60 },
            ),
            fc.array(fc.tuple(fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n })), { maxLength: 10 }),
          ),
        ),
        ([n, ops, queries]) => {
          const bm = new SparseBitmap(n);
          const model = new Set<number>();
          for (const op of ops) {
            if (op.kind === "set") assert.equal(bm.set(op.at), !model.has(op.at));
            if (op.kind === "clear") assert.equal(bm.clear(op.at), model.has(op.at));
            if (op.kind === "setRun") {
              // Long runs fill whole words and blocks, exercising the summary level.
              for (let i = op.at; i < Math.min(n, op.at + op.len); i++) bm.set(i);
            }
            if (op.kind === "clear") model.delete(op.at);
            else for (let i = op.at; i < Math.min(n, op.at + (op.kind === "set" ? 1 : op.len)); i++) model.add(i);
            assert.equal(bm.count, model.size);
          }
          for (const [a, b] of queries) assert.equal(bm.findFree(a, b), modelFindFree(model, a, b), `findFree(${a}, ${b})`);
          assert.equal(bm.findFree(0, n), modelFindFree(model, 0, n));
          assert.deepEqual(bm.runs(), modelRuns(model));
          for (const o of model) assert.ok(bm.has(o));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds the free bit in a full block through the summary level", () => {
    const bm = new SparseBitmap(2 * BLOCK_SIZE);
    for (let i = 0; i < 2 * BLOCK_SIZE; i++) bm.set(i);
    assert.equal(bm.findFree(0, 2 * BLOCK_SIZE), -1);
    bm.clear(BLOCK_SIZE + 40_000);
    bm.clear(777);
    assert.equal(bm.findFree(0, 2 * BLOCK_SIZE), 777);
    assert.equal(bm.findFree(778, 2 * BLOCK_SIZE), BLOCK_SIZE + 40_000);
    assert.equal(bm.findFree(BLOCK_SIZE + 40_001, 2 * BLOCK_SIZE), -1);
    assert.equal(bm.findFree(778, BLOCK_SIZE + 40_000), -1, "the end is exclusive");
  });

  it("materialises only the blocks in use and drops blocks that empty", () => {
    const bm = new SparseBitmap(MAX_BITMAP_SIZE);
    assert.equal(bm.findFree(0, MAX_BITMAP_SIZE), 0);
    const far = MAX_BITMAP_SIZE - 1;
    assert.ok(bm.set(far));
    assert.ok(bm.set(0));
    assert.equal(bm.blockCount, 2);
    assert.ok(bm.has(far));
    assert.deepEqual(bm.runs(), [0, 1, far, far + 1]);
    assert.equal(bm.findFree(far, MAX_BITMAP_SIZE), -1);
    assert.ok(bm.clear(far));
    assert.ok(bm.clear(0));
    assert.equal(bm.blockCount, 0);
    assert.equal(bm.count, 0);
    assert.throws(() => bm.set(MAX_BITMAP_SIZE), RangeError);
    assert.throws(() => bm.set(-1), RangeError);
    assert.throws(() => new SparseBitmap(MAX_BITMAP_SIZE + 2), RangeError);
  });

  it("keeps a block as a list until it holds more than LIST_LIMIT bits, then as a bitmap, with the same answers", () => {
    const block = new BitmapBlock(1000);
    const model = new Set<number>();
    // Every third bit, so lists and bitmaps both have holes to find.
    for (let i = 0; i < 3 * (LIST_LIMIT + 5); i += 3) {
      assert.ok(block.set(i));
      model.add(i);
      assert.equal(block.dense, model.size > LIST_LIMIT, `after ${model.size} bits`);
      for (const from of [0, i, i + 1]) assert.equal(block.findFree(from, 1000), modelFindFree(model, from, 1000));
    }
    assert.equal(block.free, 1000 - model.size);
    assert.ok(!block.set(0), "already set");
    assert.ok(block.clear(0) && !block.clear(0));
    // A partial block never offers bits past its capacity, in either form.
    const small = new BitmapBlock(10);
    for (let i = 0; i < 10; i++) small.set(i);
    assert.equal(small.findFree(0, 10), -1);
    assert.equal(small.free, 0);
  });
});
