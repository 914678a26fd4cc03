/**
 * The broadcast queue (retransmit limits, invalidation, ordering, byte
 * budget), Lifeguard's suspicion timeout (formula and timer) and awareness.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Awareness,
  MemberlistBroadcast,
  Suspicion,
  TransmitLimitedQueue,
  VirtualClock,
  pushPullScale,
  remainingSuspicionTime,
  retransmitLimit,
  suspicionTimeout,
  type Broadcast,
} from "../../../src/networkdb/memberlist/index.js";

const msg = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A memberlist broadcast that records when it is finished. */
function tracked(node: string, body: string, finished: string[]): MemberlistBroadcast {
  return new MemberlistBroadcast(node, msg(body), () => finished.push(body));
}

describe("retransmitLimit", () => {
  it("is retransmitMult * ceil(log10(n + 1))", () => {
    assert.equal(retransmitLimit(4, 0), 0);
    assert.equal(retransmitLimit(4, 1), 4);
    assert.equal(retransmitLimit(4, 9), 4);
    assert.equal(retransmitLimit(4, 10), 8);
    assert.equal(retransmitLimit(4, 99), 8);
    assert.equal(retransmitLimit(4, 100), 12);
    assert.equal(retransmitLimit(3, 1000), 12);
  });
});

describe("TransmitLimitedQueue", () => {
  it("sends a broadcast exactly retransmitLimit times, then finishes it once", () => {
    const finished: string[] = [];
    const q = new TransmitLimitedQueue({ numNodes: () => 10, retransmitMult: 4 });
    q.queueBroadcast(tracked("a", "alive a", finished));
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(q.getBroadcasts(2, 1400).map(text), ["alive a"], `transmission ${i + 1}`);
    }
    assert.deepEqual(finished, ["alive a"]);
    assert.equal(q.numQueued(), 0);
    assert.deepEqual(q.getBroadcasts(2, 1400), []);
  });

  it("follows the cluster size when computing the limit", () => {
    let n = 1;
    const q = new TransmitLimitedQueue({ numNodes: () => n, retransmitMult: 2 });
    q.queueBroadcast(new MemberlistBroadcast("a", msg("x")));
    q.getBroadcasts(0, 100);
    n = 100; // limit grows from 2 to 6
    for (let i = 0; i < 5; i++) assert.equal(q.getBroadcasts(0, 100).length, 1);
    assert.equal(q.numQueued(), 0);
  });

  it("drops older broadcasts about the same node when a new one is queued", () => {
    const finished: string[] = [];
    const q = new TransmitLimitedQueue({ numNodes: () => 10, retransmitMult: 4 });
    q.queueBroadcast(tracked("n1", "suspect n1", finished));
    q.queueBroadcast(tracked("n2", "alive n2", finished));
    q.queueBroadcast(tracked("n1", "alive n1 inc 2", finished));
    assert.deepEqual(finished, ["suspect n1"]);
    assert.equal(q.numQueued(), 2);
    // Newest first.
    assert.deepEqual(q.getBroadcasts(2, 1400).map(text), ["alive n1 inc 2", "alive n2"]);
  });

  it("invalidates every matching entry, not only the first of a run", () => {
    // A custom broadcast type that never invalidates lets two entries about one key coexist.
    class Sticky implements Broadcast {
      constructor(readonly key: string, readonly body: string, readonly done: string[]) {}
      invalidates(_other: Broadcast): boolean {
        return false;
      }
      message(): Uint8Array {
        return msg(this.body);
      }
      finished(): void {
        this.done.push(this.body);
      }
    }
    class Replacing extends Sticky {
      override invalidates(other: Broadcast): boolean {
        return other instanceof Sticky && other.key === this.key;
      }
    }
    const done: string[] = [];
    const q = new TransmitLimitedQueue({ numNodes: () => 3, retransmitMult: 4 });
    q.queueBroadcast(new Sticky("k", "one", done));
    q.queueBroadcast(new Sticky("k", "two", done));
    q.queueBroadcast(new Sticky("other", "three", done));
    q.queueBroadcast(new Replacing("k", "four", done));
    assert.deepEqual(done, ["one", "two"]);
    assert.deepEqual(q.getBroadcasts(0, 100).map(text), ["four", "three"]);
  });

  it("does not let broadcasts of different nodes invalidate each other, nor foreign broadcast types", () => {
    const q = new TransmitLimitedQueue({ numNodes: () => 3, retransmitMult: 4 });
    const foreign: Broadcast = { invalidates: () => false, message: () => msg("user"), finished: () => {} };
    q.queueBroadcast(foreign);
    q.queueBroadcast(new MemberlistBroadcast("a", msg("a")));
    q.queueBroadcast(new MemberlistBroadcast("b", msg("b")));
    assert.equal(q.numQueued(), 3);
  });

  it("sends the least transmitted broadcasts first", () => {
    const q = new TransmitLimitedQueue({ numNodes: () => 10, retransmitMult: 4 });
    q.queueBroadcast(new MemberlistBroadcast("a", msg("aaaa")));
    q.queueBroadcast(new MemberlistBroadcast("b", msg("bbbb")));
    // Room for one message only: "b" (newest) goes, then "a" (fewer transmits), then b again...
    assert.deepEqual(q.getBroadcasts(0, 4).map(text), ["bbbb"]);
    assert.deepEqual(q.getBroadcasts(0, 4).map(text), ["aaaa"]);
    q.queueBroadcast(new MemberlistBroadcast("c", msg("cccc")));
    assert.deepEqual(q.getBroadcasts(0, 4).map(text), ["cccc"]);
    // All sent once now; among equals the most recently queued goes first.
    assert.deepEqual(q.getBroadcasts(0, 8).map(text), ["cccc", "aaaa"]);
  });

  it("respects the byte budget with the per-message overhead, skipping what does not fit", () => {
    const q = new TransmitLimitedQueue({ numNodes: () => 10, retransmitMult: 4 });
    q.queueBroadcast(new MemberlistBroadcast("small", msg("s")));
    q.queueBroadcast(new MemberlistBroadcast("big", new Uint8Array(100)));
    // 100 + 2 does not fit in 50; the small one behind it does.
    const out = q.getBroadcasts(2, 50);
    assert.deepEqual(out.map((b) => b.length), [1]);
    // Exactly at the limit fits: 2 + 100 + 2 + 1 = 105.
    assert.deepEqual(q.getBroadcasts(2, 105).map((b) => b.length), [100, 1]);
    assert.deepEqual(q.getBroadcasts(2, 104).map((b) => b.length), [100]);
  });

  it("prunes to the newest entries and resets, finishing what it drops", () => {
    const finished: string[] = [];
    const q = new TransmitLimitedQueue({ numNodes: () => 10, retransmitMult: 4 });
    for (const n of ["1", "2", "3", "4"]) q.queueBroadcast(tracked(n, `m${n}`, finished));
    q.prune(2);
    assert.deepEqual(finished, ["m1", "m2"]);
    assert.deepEqual(q.getBroadcasts(0, 100).map(text), ["m4", "m3"]);
    q.reset();
    assert.deepEqual(finished.sort(), ["m1", "m2", "m3", "m4"]);
    assert.equal(q.numQueued(), 0);
  });
});

describe("suspicion timeout formula", () => {
  it("suspicionTimeout = mult * max(1, log10(n)) * interval, scale truncated to 1/1000", () => {
    assert.equal(suspicionTimeout(4, 0, 1000), 4000);
    assert.equal(suspicionTimeout(4, 1, 1000), 4000);
    assert.equal(suspicionTimeout(4, 10, 1000), 4000);
    assert.equal(suspicionTimeout(4, 50, 1000), 6792); // log10(50) = 1.69897 -> 1698
    assert.equal(suspicionTimeout(4, 1000, 1000), 12000);
    assert.equal(suspicionTimeout(3, 100, 200), 1200);
    assert.equal(suspicionTimeout(5, 3, 1000), 5000);
  });

  it("remainingSuspicionTime follows the Lifeguard curve (memberlist's own table)", () => {
    const cases: [n: number, k: number, elapsed: number, min: number, max: number, want: number][] = [
      [0, 3, 0, 2000, 30000, 30000],
      [1, 3, 2000, 2000, 30000, 14000],
      [2, 3, 3000, 2000, 30000, 4810],
      [3, 3, 4000, 2000, 30000, -2000],
      [4, 3, 5000, 2000, 30000, -3000],
      [5, 3, 10000, 2000, 30000, -8000],
    ];
    for (const [n, k, elapsed, min, max, want] of cases) {
      assert.equal(remainingSuspicionTime(n, k, elapsed, min, max), want, `n=${n}`);
    }
  });

  it("pushPullScale stretches the interval above 32 nodes", () => {
    assert.equal(pushPullScale(30000, 1), 30000);
    assert.equal(pushPullScale(30000, 32), 30000);
    assert.equal(pushPullScale(30000, 33), 60000);
    assert.equal(pushPullScale(30000, 64), 60000);
    assert.equal(pushPullScale(30000, 65), 90000);
    assert.equal(pushPullScale(30000, 1000), 180000);
  });
});

describe("Suspicion timer", () => {
  it("fires at max without confirmations, and at min when none are expected (k = 0)", async () => {
    const clock = new VirtualClock();
    const fired: [string, number, number][] = [];
    new Suspicion("a", 3, 2000, 30000, (n) => fired.push(["k3", clock.now(), n]), clock);
    new Suspicion("a", 0, 2000, 30000, (n) => fired.push(["k0", clock.now(), n]), clock);
    await clock.advance(40000);
    assert.deepEqual(fired, [
      ["k0", 2000, 0],
      ["k3", 30000, 0],
    ]);
  });

  it("shortens with independent confirmations, ignoring the accuser and duplicates", async () => {
    const clock = new VirtualClock();
    let firedAt = -1;
    let confirmations = -1;
    const s = new Suspicion("accuser", 3, 2000, 30000, (n) => {
      firedAt = clock.now();
      confirmations = n;
    }, clock);
    assert.equal(s.confirm("accuser"), false, "the accuser is not a confirmation");
    await clock.advance(2000);
    assert.equal(s.confirm("b"), true);
    assert.equal(s.confirm("b"), false, "one confirmation per peer");
    // n=1: timeout 16 s from the start.
    await clock.advance(13000);
    assert.equal(firedAt, -1);
    await clock.advance(1000);
    assert.equal(firedAt, 16000);
    assert.equal(confirmations, 1);
  });

  it("fires at once when a confirmation makes the deadline already past, and stops counting at k", async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const s = new Suspicion("x", 2, 1000, 6000, () => fired.push(clock.now()), clock);
    await clock.advance(500);
    assert.equal(s.confirm("a"), true); // n=1, k=2: 6 - (ln 2 / ln 3) * 5 = 2.845 s
    await clock.advance(2000);
    assert.deepEqual(fired, []);
    assert.equal(s.confirm("b"), true); // n=2: min 1 s, already passed at 2.5 s
    assert.equal(s.confirm("c"), false, "k confirmations reached");
    await clock.advance(1);
    assert.deepEqual(fired, [2500]);
    assert.equal(s.confirmationCount, 2);
  });

  it("does not fire once cancelled", async () => {
    const clock = new VirtualClock();
    let fired = false;
    const s = new Suspicion("x", 1, 100, 600, () => (fired = true), clock);
    s.cancel();
    assert.equal(s.confirm("y"), true);
    await clock.advance(1000);
    assert.equal(fired, false);
  });
});

describe("Awareness", () => {
  it("clamps the score to [0, max-1] and scales timeouts by score + 1", () => {
    const a = new Awareness(8);
    assert.equal(a.scaleTimeout(1000), 1000);
    a.applyDelta(-3);
    assert.equal(a.getHealthScore(), 0);
    a.applyDelta(3);
    assert.equal(a.getHealthScore(), 3);
    assert.equal(a.scaleTimeout(1000), 4000);
    a.applyDelta(100);
    assert.equal(a.getHealthScore(), 7);
    assert.equal(a.scaleTimeout(500), 4000);
    a.applyDelta(-1);
    assert.equal(a.getHealthScore(), 6);
  });
});
