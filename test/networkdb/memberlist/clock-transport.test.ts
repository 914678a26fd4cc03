/**
 * The virtual clock, the in-memory network (latency, loss, partitions,
 * crashes, streams), seeded randomness and address helpers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MemNetwork,
  VirtualClock,
  bytesToIp,
  ensurePort,
  ipToBytes,
  joinHostPort,
  kRandom,
  seededRandom,
  sleep,
  splitHostPort,
  startTicker,
  withTimeout,
  type Packet,
  type Stream,
} from "../../../src/networkdb/memberlist/index.js";

describe("VirtualClock", () => {
  it("runs timers in due order, equal times in creation order, and sets now() to each due time", async () => {
    const clock = new VirtualClock(1000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => log.push("never"), 15);
    cancelled.cancel();
    await clock.advance(19);
    assert.deepEqual(log, ["a@1010"]);
    assert.equal(clock.now(), 1019);
    await clock.advance(100);
    assert.deepEqual(log, ["a@1010", "b@1020", "c@1020"]);
    assert.equal(clock.now(), 1119);
  });

  it("lets promise chains settle between timers, so awaits on virtual sleeps work", async () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 100);
        await Promise.resolve();
        log.push(clock.now());
      }
    })();
    await clock.advance(1000);
    await task;
    assert.deepEqual(log, [100, 200, 300]);
  });

  it("runs timers set by timers within the same advance", async () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    const again = (): void => {
      log.push(clock.now());
      if (log.length < 4) clock.setTimeout(again, 0);
    };
    clock.setTimeout(again, 5);
    await clock.advance(5);
    assert.deepEqual(log, [5, 5, 5, 5]);
  });

  it("withTimeout resolves with the value or undefined on timeout", async () => {
    const clock = new VirtualClock();
    const never = new Promise<number>(() => {});
    const fast = sleep(clock, 10).then(() => 42);
    const a = withTimeout(clock, never, 50);
    const b = withTimeout(clock, fast, 50);
    await clock.advance(100);
    assert.equal(await a, undefined);
    assert.equal(await b, 42);
  });

  it("startTicker skips ticks while an async run is still going", async () => {
    const clock = new VirtualClock();
    const starts: number[] = [];
    const t = startTicker(clock, 100, 50, async () => {
      starts.push(clock.now());
      await sleep(clock, 250);
    }, (err) => assert.fail(String(err)));
    await clock.advance(1000);
    t.cancel();
    // Runs at 50, then the ticks at 150 and 250 are skipped (busy until 300), 350, 650, 950.
    assert.deepEqual(starts, [50, 350, 650, 950]);
  });

  it("runUntil reports the time taken or -1", async () => {
    const clock = new VirtualClock();
    let flag = false;
    clock.setTimeout(() => (flag = true), 250);
    assert.equal(await clock.runUntil(() => flag, 1000, 100), 300);
    assert.equal(await clock.runUntil(() => false, 500, 100), -1);
  });
});

describe("seeded randomness", () => {
  it("is reproducible and differs between seeds", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c()));
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });

  it("kRandom returns distinct, non-excluded items, at most k", () => {
    const r = seededRandom(1);
    const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (let i = 0; i < 50; i++) {
      const got = kRandom(r, 3, items, (x) => x % 2 === 0);
      assert.equal(new Set(got).size, got.length);
      assert.ok(got.length <= 3);
      for (const x of got) assert.equal(x % 2, 1);
    }
    assert.deepEqual(kRandom(r, 3, items, () => true), []);
  });
});

describe("addresses", () => {
  it("splits and joins host:port, IPv6 in brackets", () => {
    assert.deepEqual(splitHostPort("10.0.0.1:7946"), { host: "10.0.0.1", port: 7946 });
    assert.deepEqual(splitHostPort("[fd00::1]:7946"), { host: "fd00::1", port: 7946 });
    assert.equal(joinHostPort("fd00::1", 1), "[fd00::1]:1");
    assert.equal(joinHostPort("192.0.2.1", 7946), "192.0.2.1:7946");
    assert.throws(() => splitHostPort("10.0.0.1"));
    assert.throws(() => splitHostPort("fd00::1"));
    assert.throws(() => splitHostPort("h:99999"));
  });

  it("adds a default port only where there is none", () => {
    assert.equal(ensurePort("10.0.0.1", 7946), "10.0.0.1:7946");
    assert.equal(ensurePort("10.0.0.1:1", 7946), "10.0.0.1:1");
    assert.equal(ensurePort("fd00::1", 7946), "[fd00::1]:7946");
    assert.equal(ensurePort("[fd00::1]", 7946), "[fd00::1]:7946");
    assert.equal(ensurePort("[fd00::1]:5", 7946), "[fd00::1]:5");
    assert.equal(ensurePort("host.example", 7946), "host.example:7946");
  });

  it("converts IPs to wire bytes and back", () => {
    assert.deepEqual(Array.from(ipToBytes("192.0.2.101")), [192, 0, 2, 101]);
    const cases: [string, string][] = [
      ["fd00::1", "fd000000000000000000000000000001"],
      ["::", "00000000000000000000000000000000"],
      ["2001:db8:0:0:1:0:0:1", "20010db8000000000001000000000001"],
      ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
      ["1::", "00010000000000000000000000000000"],
    ];
    for (const [ip, hex] of cases) assert.equal(Buffer.from(ipToBytes(ip)).toString("hex"), hex, ip);
    assert.equal(bytesToIp(ipToBytes("fd00::1")), "fd00::1");
    assert.equal(bytesToIp(ipToBytes("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
    assert.equal(bytesToIp(ipToBytes("::ffff:192.0.2.1")), "192.0.2.1");
    assert.equal(bytesToIp(Uint8Array.of(10, 0, 0, 1)), "10.0.0.1");
    assert.throws(() => ipToBytes("not-an-ip"));
  });
});

/** Collect the packets a transport receives. */
function packetSink(net: MemNetwork, addr: string): Packet[] {
  const got: Packet[] = [];
  net.createTransport(addr).listen({ onPacket: (p) => got.push(p), onStream: (s) => s.close() });
  return got;
}

async function readAll(clock: VirtualClock, s: Stream): Promise<string> {
  let out = "";
  for (;;) {
    const p = s.read();
    await clock.advance(5);
    const chunk = await p;
    if (chunk === null) return out;
    out += new TextDecoder().decode(chunk);
  }
}

describe("MemNetwork", () => {
  it("delivers datagrams after the latency, with sender address and arrival time", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock, latency: 3 });
    const a = net.createTransport("10.0.0.1:7946");
    const got = packetSink(net, "10.0.0.2:7946");
    a.writeTo(Uint8Array.of(1, 2, 3), "10.0.0.2:7946");
    a.writeTo(Uint8Array.of(9), "10.0.0.3:7946"); // nobody there
    await clock.advance(2);
    assert.equal(got.length, 0);
    await clock.advance(1);
    assert.deepEqual(got.map((p) => [Array.from(p.buf), p.from, p.timestamp]), [[[1, 2, 3], "10.0.0.1:7946", 3]]);
    assert.equal(net.stats.packetsUnroutable, 1);
  });

  it("loses the configured share of datagrams, identically for the same seed", async () => {
    const run = async (seed: number): Promise<number[]> => {
      const clock = new VirtualClock();
      const net = new MemNetwork({ clock, loss: 0.3, random: seededRandom(seed) });
      const a = net.createTransport("10.0.0.1:7946");
      const got = packetSink(net, "10.0.0.2:7946");
      for (let i = 0; i < 1000; i++) a.writeTo(Uint8Array.of(i & 0xff, i >> 8), "10.0.0.2:7946");
      await clock.advance(10);
      return got.map((p) => p.buf[0]! | (p.buf[1]! << 8));
    };
    const first = await run(5);
    assert.deepEqual(await run(5), first);
    assert.notDeepEqual(await run(6), first);
    assert.ok(first.length > 620 && first.length < 780, `delivered ${first.length} of 1000`);
  });

  it("partitions cut traffic both ways until healed", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock });
    const a = net.createTransport("10.0.0.1:7946");
    const gotB = packetSink(net, "10.0.0.2:7946");
    const gotC = packetSink(net, "10.0.0.3:7946");
    net.partition(["10.0.0.1:7946"], ["10.0.0.2:7946"]);
    a.writeTo(Uint8Array.of(1), "10.0.0.2:7946");
    a.writeTo(Uint8Array.of(1), "10.0.0.3:7946");
    await clock.advance(10);
    assert.equal(gotB.length, 0);
    assert.equal(gotC.length, 1);
    assert.equal(net.isPartitioned("10.0.0.2:7946", "10.0.0.1:7946"), true);
    net.heal();
    a.writeTo(Uint8Array.of(2), "10.0.0.2:7946");
    await clock.advance(10);
    assert.equal(gotB.length, 1);
  });

  it("streams carry bytes in order and end with the writer's close", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock, latency: (_f, _t) => 2 });
    const client = net.createTransport("10.0.0.1:7946");
    client.listen({ onPacket: () => {}, onStream: (s) => s.close() });
    const server = net.createTransport("10.0.0.2:7946");
    const accepted: Stream[] = [];
    server.listen({ onPacket: () => {}, onStream: (s) => accepted.push(s) });
    const dialing = client.dialTimeout("10.0.0.2:7946", 1000);
    await clock.advance(4);
    const s = await dialing;
    assert.equal(accepted.length, 1);
    assert.match(accepted[0]!.remoteAddr, /^10\.0\.0\.1:\d+$/);
    await s.write(new TextEncoder().encode("hello "));
    await s.write(new TextEncoder().encode("world"));
    s.close();
    assert.equal(await readAll(clock, accepted[0]!), "hello world");
    await assert.rejects(s.write(Uint8Array.of(1)));
  });

  it("refuses dials to a crashed node after one round trip, times out across a partition", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock, latency: 1 });
    const a = net.createTransport("10.0.0.1:7946");
    a.listen({ onPacket: () => {}, onStream: (s) => s.close() });
    const b = net.createTransport("10.0.0.2:7946");
    b.listen({ onPacket: () => {}, onStream: () => {} });
    net.createTransport("10.0.0.3:7946").listen({ onPacket: () => {}, onStream: () => {} });
    net.crash("10.0.0.2:7946");
    net.partition(["10.0.0.1:7946"], ["10.0.0.3:7946"]);
    const t0 = clock.now();
    const refused = a.dialTimeout("10.0.0.2:7946", 500).then(
      () => "connected",
      (e: Error) => `${e.message}@${clock.now() - t0}`,
    );
    const timedOut = a.dialTimeout("10.0.0.3:7946", 500).then(
      () => "connected",
      (e: Error) => `${e.message}@${clock.now() - t0}`,
    );
    await clock.advance(1000);
    assert.equal(await refused, "dial tcp 10.0.0.2:7946: connection refused@2");
    assert.equal(await timedOut, "dial tcp 10.0.0.3:7946: i/o timeout@500");
    // A crashed node sends nothing either.
    const gotA: Packet[] = [];
    a.listen({ onPacket: (p) => gotA.push(p), onStream: (s) => s.close() });
    b.writeTo(Uint8Array.of(1), "10.0.0.1:7946");
    await clock.advance(10);
    assert.equal(gotA.length, 0);
    net.revive("10.0.0.2:7946");
    b.writeTo(Uint8Array.of(1), "10.0.0.1:7946");
    await clock.advance(10);
    assert.equal(gotA.length, 1);
  });

  it("closes a crashed node's open streams: the peer reads end of stream", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock });
    const a = net.createTransport("10.0.0.1:7946");
    a.listen({ onPacket: () => {}, onStream: () => {} });
    const b = net.createTransport("10.0.0.2:7946");
    const accepted: Stream[] = [];
    b.listen({ onPacket: () => {}, onStream: (s) => accepted.push(s) });
    const dialing = a.dialTimeout("10.0.0.2:7946", 100);
    await clock.advance(5);
    const s = await dialing;
    net.crash("10.0.0.2:7946");
    const r = s.read();
    await clock.advance(5);
    assert.equal(await r, null);
  });
});
