/**
 * Whole clusters on the in-memory network and the virtual clock, with
 * memberlist's LAN defaults unless said otherwise: joining and convergence,
 * failure detection, refutation, graceful leave, partitions, packet loss,
 * delegate state and broadcasts, determinism.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodePacket } from "../../../src/networkdb/wire/index.js";
import {
  Keyring,
  MemberlistBroadcast,
  TransmitLimitedQueue,
  suspicionTimeout,
  type Delegate,
  type NodeStateKind,
} from "../../../src/networkdb/memberlist/index.js";
import { addNode, allSee, createNodes, settle, simAddr, startCluster, stopAll, type Sim } from "./sim.js";

const names = (sim: Sim, except: string[] = []): string[] =>
  sim.nodes.map((n) => n.name).filter((n) => !except.includes(n));

/** Send raw memberlist bytes to a node from an address that is not a member. */
function inject(sim: Sim, to: string, message: Parameters<typeof encodePacket>[0]): void {
  const rogueAddr = "10.9.9.9:7946";
  const rogue = sim.net.createTransport(rogueAddr);
  rogue.listen({ onPacket: () => {}, onStream: (s) => s.close() });
  rogue.writeTo(encodePacket(message, { crc: true }), to);
  sim.net.remove(rogueAddr);
}

describe("joining", () => {
  for (const n of [3, 10, 50]) {
    it(`${n} nodes join through one seed and converge, then stay converged`, async () => {
      const sim = await startCluster(n, { seed: n });
      try {
        const took = await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000, 100);
        assert.ok(took >= 0, "did not converge within 30 virtual seconds");
        await sim.clock.advance(40_000);
        assert.ok(allSee(sim.nodes, names(sim)), "lost convergence");
        for (const node of sim.nodes) {
          for (const info of node.ml.memberStates()) assert.equal(info.state, "alive", `${node.name} sees ${info.node.name}`);
          assert.equal(node.events.count("leave"), 0);
          // One join event per member, ourselves included.
          assert.equal(node.events.count("join"), n, node.name);
          assert.equal(node.ml.getHealthScore(), 0);
        }
      } finally {
        await stopAll(sim);
      }
    });
  }

  it("a join to an address where nobody listens fails with the reason", async () => {
    const sim = await createNodes(1);
    try {
      await assert.rejects(settle(sim.clock, sim.nodes[0]!.ml.join(["10.0.0.200:7946"])), /failed to join 10.0.0.200:7946/);
    } finally {
      await stopAll(sim);
    }
  });

  it("advertises the transport's address, the Vsn Docker uses, and a nil Meta without a delegate", async () => {
    const sim = await startCluster(2);
    try {
      const local = sim.nodes[0]!.ml.localNode();
      assert.deepEqual(
        [local.addr, local.port, local.pMin, local.pMax, local.pCur, local.dMin, local.dMax, local.dCur, local.meta],
        ["10.0.0.1", 7946, 1, 5, 2, 0, 0, 0, null],
      );
      const seenByOther = sim.nodes[1]!.ml.memberState("n0")!;
      assert.equal(seenByOther.node.addr, "10.0.0.1");
      assert.equal(seenByOther.incarnation, 1);
    } finally {
      await stopAll(sim);
    }
  });
});

describe("failure detection", () => {
  it("a crashed node is suspected, then declared dead by every other node within the expected time", async () => {
    const n = 10;
    const sim = await startCluster(n, { seed: 11 });
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      const victim = sim.nodes[5]!;
      const survivors = sim.nodes.filter((x) => x !== victim);
      sim.net.crash(victim.addr);
      const crashAt = sim.clock.now();
      const firstSeen = new Map<string, Partial<Record<NodeStateKind, number>>>();
      const observe = (): boolean => {
        for (const s of survivors) {
          const state = s.ml.memberState(victim.name)?.state ?? "dead";
          const seen = firstSeen.get(s.name) ?? {};
          seen[state] ??= sim.clock.now() - crashAt;
          firstSeen.set(s.name, seen);
        }
        return survivors.every((s) => s.ml.memberState(victim.name)?.state === "dead");
      };
      // Worst case: the victim was just probed by everyone (two probe rounds
      // until the next probe), one probe, then the longest suspicion timeout.
      const probe = 1000;
      const maxSuspicion = 6 * suspicionTimeout(4, n, probe);
      const bound = 2 * (n - 1) * probe + probe + maxSuspicion + 2000;
      const took = await sim.clock.runUntil(observe, bound, 100);
      assert.ok(took >= 0, `not declared dead by all within ${bound} ms: ${JSON.stringify([...firstSeen])}`);
      for (const s of survivors) {
        const seen = firstSeen.get(s.name)!;
        assert.ok(seen.suspect !== undefined && seen.dead !== undefined && seen.suspect < seen.dead, `${s.name}: ${JSON.stringify(seen)}`);
        assert.equal(s.events.count("leave", victim.name), 1);
        assert.equal(s.events.count("leave"), 1, "only the victim left");
        assert.ok(!s.ml.members().some((m) => m.name === victim.name));
      }
      // The survivors still agree on each other.
      await sim.clock.advance(10_000);
      assert.ok(allSee(survivors, names(sim, [victim.name])));
    } finally {
      await stopAll(sim);
    }
  });

  it("a node refutes a false suspicion: higher incarnation, never declared dead", async () => {
    const sim = await startCluster(5, { seed: 3 });
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      const target = sim.nodes[2]!;
      const before = target.ml.memberState(target.name)!.incarnation;
      inject(sim, sim.nodes[0]!.addr, {
        type: "suspect",
        body: { Incarnation: before, Node: target.name, From: "rogue" },
      });
      await sim.clock.advance(5);
      assert.equal(sim.nodes[0]!.ml.memberState(target.name)!.state, "suspect");
      // The suspicion reaches the target by gossip; it refutes at once and its health drops.
      const took = await sim.clock.runUntil(() => target.ml.memberState(target.name)!.incarnation > before, 5_000, 5);
      assert.ok(took >= 0, "no refutation");
      assert.ok(target.ml.getHealthScore() >= 1, "refuting lowers our own health");
      const refuted = target.ml.memberState(target.name)!.incarnation;
      assert.equal(refuted, before + 1);
      assert.ok(
        (await sim.clock.runUntil(
          () => sim.nodes.every((x) => x.ml.memberState(target.name)?.state === "alive" && x.ml.memberState(target.name)?.incarnation === refuted),
          10_000,
        )) >= 0,
      );
      await sim.clock.advance(30_000);
      for (const x of sim.nodes) assert.equal(x.events.count("leave"), 0, x.name);
      assert.equal(target.ml.getHealthScore(), 0, "health recovers with successful probes");
    } finally {
      await stopAll(sim);
    }
  });

  it("a node wrongly declared dead refutes and is seen alive (and joined) again", async () => {
    const sim = await startCluster(5, { seed: 4 });
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      const target = sim.nodes[3]!;
      const inc = target.ml.memberState(target.name)!.incarnation;
      inject(sim, sim.nodes[1]!.addr, { type: "dead", body: { Incarnation: inc, Node: target.name, From: "rogue" } });
      await sim.clock.advance(5);
      assert.equal(sim.nodes[1]!.ml.memberState(target.name)!.state, "dead");
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 10_000)) >= 0);
      assert.ok(target.ml.memberState(target.name)!.incarnation > inc);
      // Node 1 saw it leave and join again.
      assert.equal(sim.nodes[1]!.events.count("leave", target.name), 1);
      assert.equal(sim.nodes[1]!.events.count("join", target.name), 2);
    } finally {
      await stopAll(sim);
    }
  });
});

describe("TCP fallback probes", () => {
  it("when every datagram is lost, TCP pings keep members alive; without them, everyone is declared dead", async () => {
    const outcome = async (disableTcpPings: boolean): Promise<{ leaves: number; tcpPings: number }> => {
      const sim = await startCluster(4, { seed: 12, config: { disableTcpPings } });
      try {
        assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
        sim.net.setLoss(1);
        await sim.clock.advance(60_000);
        return {
          leaves: sim.nodes.reduce((s, x) => s + x.events.count("leave"), 0),
          tcpPings: sim.nodes.reduce((s, x) => s + (x.ml.stats().streamMessagesReceived["ping"]?.count ?? 0), 0),
        };
      } finally {
        await stopAll(sim);
      }
    };
    const withTcp = await outcome(false);
    assert.equal(withTcp.leaves, 0);
    assert.ok(withTcp.tcpPings > 50, `only ${withTcp.tcpPings} TCP pings`);
    const withoutTcp = await outcome(true);
    assert.equal(withoutTcp.tcpPings, 0);
    assert.equal(withoutTcp.leaves, 12, "each node declares the 3 others dead");
  });
});

describe("node updates and pings", () => {
  it("updateNode re-advertises new metadata: others get notifyUpdate and the new meta", async () => {
    let meta = new TextEncoder().encode("v1");
    const delegate: Delegate = {
      nodeMeta: () => meta,
      notifyMsg: () => {},
      getBroadcasts: () => [],
      localState: () => new Uint8Array(0),
      mergeRemoteState: () => {},
    };
    const sim: Sim = await createNodes(0);
    sim.nodes.push(await addNode(sim, 0, 1, { delegate }));
    for (let i = 1; i < 4; i++) sim.nodes.push(await addNode(sim, i));
    try {
      for (const node of sim.nodes.slice(1)) await settle(sim.clock, node.ml.join([simAddr(0)]));
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      assert.equal(new TextDecoder().decode(sim.nodes[2]!.ml.memberState("n0")!.node.meta!), "v1");
      meta = new TextEncoder().encode("v2");
      await settle(sim.clock, sim.nodes[0]!.ml.updateNode(5_000));
      assert.ok(
        (await sim.clock.runUntil(
          () => sim.nodes.slice(1).every((x) => new TextDecoder().decode(x.ml.memberState("n0")!.node.meta ?? new Uint8Array(0)) === "v2"),
          5_000,
        )) >= 0,
      );
      for (const x of sim.nodes.slice(1)) assert.equal(x.events.count("update", "n0"), 1, x.name);
      assert.equal(sim.nodes[0]!.ml.memberState("n0")!.incarnation, 2);
    } finally {
      await stopAll(sim);
    }
  });

  it("ping measures the round trip, and fails for a silent node", async () => {
    const sim = await startCluster(2, { network: { latency: 7 } });
    try {
      const rtt = settle(sim.clock, sim.nodes[0]!.ml.ping("n1", simAddr(1)));
      assert.equal(await rtt, 14);
      sim.net.crash(simAddr(1));
      await assert.rejects(settle(sim.clock, sim.nodes[0]!.ml.ping("n1", simAddr(1))), /no response from node n1/);
    } finally {
      await stopAll(sim);
    }
  });
});

describe("leaving", () => {
  it("a graceful leave is seen as left by all, then the node is forgotten", async () => {
    const sim = await startCluster(5, { seed: 5 });
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      const leaver = sim.nodes[3]!;
      const others = sim.nodes.filter((x) => x !== leaver);
      await settle(sim.clock, leaver.ml.leave(5_000));
      assert.equal(leaver.ml.memberState(leaver.name)!.state, "left");
      await leaver.ml.shutdown();
      assert.ok((await sim.clock.runUntil(() => others.every((o) => o.ml.memberState(leaver.name)?.state === "left"), 5_000)) >= 0);
      for (const o of others) {
        assert.equal(o.events.count("leave", leaver.name), 1);
        assert.equal(o.ml.numMembers(), 4);
      }
      // Nobody mistakes the departure for a failure later on.
      await sim.clock.advance(20_000);
      for (const o of others) assert.equal(o.ml.memberState(leaver.name)!.state, "left");
      // After gossipToTheDeadTime (30 s) the next probe round reaps it.
      assert.ok((await sim.clock.runUntil(() => others.every((o) => o.ml.memberState(leaver.name) === undefined), 30_000)) >= 0);
    } finally {
      await stopAll(sim);
    }
  });

  it("leave() in a cluster of one returns at once; leave after shutdown is refused", async () => {
    const sim = await createNodes(1);
    try {
      await settle(sim.clock, sim.nodes[0]!.ml.leave(1000), 10);
      await sim.nodes[0]!.ml.shutdown();
      await assert.rejects(sim.nodes[0]!.ml.leave(1000), /leave after shutdown/);
    } finally {
      await stopAll(sim);
    }
  });
});

/** True when every node sees every one of `names` alive (not suspect). */
function allAlive(nodes: Sim["nodes"], names: readonly string[]): boolean {
  return nodes.every((n) => names.every((m) => n.ml.memberState(m)?.state === "alive"));
}

describe("partitions", () => {
  it("after a short partition, suspicions are refuted and everyone is alive again, nobody declared dead", async () => {
    const sim = await startCluster(6, { seed: 8 });
    try {
      assert.ok((await sim.clock.runUntil(() => allAlive(sim.nodes, names(sim)), 30_000)) >= 0);
      const a = sim.nodes.slice(0, 3);
      const b = sim.nodes.slice(3);
      sim.net.partition(
        a.map((x) => x.addr),
        b.map((x) => x.addr),
      );
      await sim.clock.advance(2_500);
      const suspected = sim.nodes.flatMap((x) => x.ml.memberStates().filter((m) => m.state === "suspect"));
      assert.ok(suspected.length > 0, "the partition went unnoticed");
      sim.net.heal();
      // Suspects are probed with the suspicion attached, and refute at once.
      assert.ok((await sim.clock.runUntil(() => allAlive(sim.nodes, names(sim)), 30_000)) >= 0, "did not recover");
      for (const x of sim.nodes) assert.equal(x.events.count("leave"), 0, x.name);
    } finally {
      await stopAll(sim);
    }
  });

  it("after a long partition both sides declared each other dead; a rejoin across heals the cluster", async () => {
    const sim = await startCluster(6, { seed: 9 });
    try {
      assert.ok((await sim.clock.runUntil(() => allAlive(sim.nodes, names(sim)), 30_000)) >= 0);
      const a = sim.nodes.slice(0, 3);
      const b = sim.nodes.slice(3);
      sim.net.partition(
        a.map((x) => x.addr),
        b.map((x) => x.addr),
      );
      const split = await sim.clock.runUntil(
        () => allSee(a, a.map((x) => x.name)) && allSee(b, b.map((x) => x.name)),
        60_000,
      );
      assert.ok(split >= 0, "the sides did not declare each other dead");
      for (const x of a) for (const y of b) assert.equal(x.ml.memberState(y.name)?.state, "dead");
      sim.net.heal();
      // memberlist does not heal this alone: the death notices were all
      // gossiped while the partition stood, and dead nodes are neither probed
      // nor pushed/pulled. NetworkDB re-joins failed nodes periodically; do
      // that once. The push/pull makes both ends refute their deaths, and the
      // refutations and later push/pulls carry the rest.
      assert.equal(await settle(sim.clock, a[0]!.ml.join([b[0]!.addr])), 1);
      const healed = await sim.clock.runUntil(() => allAlive(sim.nodes, names(sim)), 120_000);
      assert.ok(healed >= 0, "did not converge after the rejoin");
      await sim.clock.advance(20_000);
      assert.ok(allAlive(sim.nodes, names(sim)), "lost convergence after healing");
    } finally {
      await stopAll(sim);
    }
  });
});

describe("packet loss (Lifeguard)", () => {
  it("with 10% datagram loss and no TCP fallback, no live node is declared dead over 5 virtual minutes", async () => {
    const sim = await startCluster(10, { seed: 21, config: { disableTcpPings: true } });
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      sim.net.setLoss(0.1);
      await sim.clock.advance(300_000);
      assert.ok(allSee(sim.nodes, names(sim)));
      for (const x of sim.nodes) assert.equal(x.events.count("leave"), 0, `${x.name} saw a node leave`);
      // The run did exercise the machinery: probes failed, suspicions were raised and refuted.
      const suspects = sim.nodes.reduce((s, x) => s + (x.ml.stats().messagesReceived["suspect"]?.count ?? 0), 0);
      const nacks = sim.nodes.reduce((s, x) => s + (x.ml.stats().messagesReceived["nack"]?.count ?? 0), 0);
      const refuted = sim.nodes.filter((x) => x.ml.localNode() && x.ml.memberState(x.name)!.incarnation > 1).length;
      assert.ok(suspects > 0, "no suspicion was ever raised");
      assert.ok(nacks > 0, "no nack was ever sent");
      assert.ok(refuted > 0, "no node ever refuted");
      assert.ok(sim.net.stats.packetsLost > 0);
    } finally {
      await stopAll(sim);
    }
  });
});

/**
 * A delegate with its own broadcast queue and a piece of local state, as
 * NetworkDB has. Like NetworkDB, it re-queues every message it hears for the
 * first time: memberlist itself only retransmits a delegate broadcast from
 * the node that queued it.
 */
class TestDelegate implements Delegate {
  readonly received: string[] = [];
  readonly merged: { state: string; join: boolean }[] = [];
  readonly queue: TransmitLimitedQueue;
  constructor(
    readonly state: string,
    numNodes: () => number,
  ) {
    this.queue = new TransmitLimitedQueue({ numNodes, retransmitMult: 4 });
  }
  nodeMeta(): Uint8Array {
    return new Uint8Array(0);
  }
  notifyMsg(payload: Uint8Array): void {
    const text = new TextDecoder().decode(payload);
    if (!this.received.includes(text)) this.queue.queueBroadcast(new MemberlistBroadcast(text, payload.slice()));
    this.received.push(text);
  }
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    return this.queue.getBroadcasts(overhead, limit);
  }
  localState(): Uint8Array {
    return new TextEncoder().encode(this.state);
  }
  mergeRemoteState(buf: Uint8Array, join: boolean): void {
    this.merged.push({ state: new TextDecoder().decode(buf), join });
  }
}

describe("delegate", () => {
  it("exchanges delegate state at join and periodically, and spreads delegate broadcasts to everyone", async () => {
    const sim: Sim = await createNodes(0);
    const delegates: TestDelegate[] = [];
    for (let i = 0; i < 5; i++) {
      const d = new TestDelegate(`state-of-n${i}`, () => 1);
      delegates.push(d);
      const node = await addNode(sim, i, 1, { delegate: d, pushPullInterval: 5_000 });
      d.queue.numNodes = () => node.ml.estNumNodes();
      sim.nodes.push(node);
    }
    try {
      for (const node of sim.nodes.slice(1)) await settle(sim.clock, node.ml.join([simAddr(0)]));
      // Join-time push/pull: both sides merged each other's state with join = true.
      assert.deepEqual(delegates[1]!.merged[0], { state: "state-of-n0", join: true });
      assert.ok(delegates[0]!.merged.some((m) => m.state === "state-of-n1" && m.join));
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      // Own meta from a delegate is an empty raw for ourselves.
      assert.deepEqual(sim.nodes[0]!.ml.localNode().meta, new Uint8Array(0));
      // Periodic push/pulls (join = false) happen every 5 s.
      await sim.clock.advance(12_000);
      assert.ok(delegates.every((d) => d.merged.some((m) => !m.join)), "no periodic push/pull");
      // A user broadcast queued on n4 reaches every other node, piggybacked on gossip.
      const hello = new TextEncoder().encode("hello from n4");
      delegates[4]!.queue.queueBroadcast(new MemberlistBroadcast("hello from n4", hello));
      assert.ok((await sim.clock.runUntil(() => delegates.slice(0, 4).every((d) => d.received.includes("hello from n4")), 5_000)) >= 0);
      await sim.clock.advance(5_000);
      assert.ok(delegates.every((d) => d.queue.numQueued() === 0), "every copy reached its transmit limit");
    } finally {
      await stopAll(sim);
    }
  });

  it("sendBestEffort and sendReliable deliver to the target's delegate", async () => {
    const sim: Sim = await createNodes(0);
    const delegates: TestDelegate[] = [];
    for (let i = 0; i < 2; i++) {
      const d = new TestDelegate("", () => 2);
      delegates.push(d);
      sim.nodes.push(await addNode(sim, i, 1, { delegate: d }));
    }
    try {
      await settle(sim.clock, sim.nodes[1]!.ml.join([simAddr(0)]));
      const target = sim.nodes[1]!.ml.members().find((m) => m.name === "n0")!;
      sim.nodes[1]!.ml.sendBestEffort(target, new TextEncoder().encode("udp hello"));
      const big = "x".repeat(50_000);
      await settle(sim.clock, sim.nodes[1]!.ml.sendReliable(target, new TextEncoder().encode(big)));
      await sim.clock.advance(100);
      assert.ok(delegates[0]!.received.includes("udp hello"));
      assert.ok(delegates[0]!.received.includes(big));
      const stats = sim.nodes[0]!.ml.stats();
      assert.equal(stats.streamMessagesReceived["user"]?.count, 1);
    } finally {
      await stopAll(sim);
    }
  });
});

describe("encryption rollout", () => {
  it("turning encryption on in stages (verify flags off, then outgoing, then incoming) keeps the cluster together", async () => {
    const key = new Uint8Array(32).fill(7);
    const sim = await startCluster(4, {
      seed: 13,
      config: { gossipVerifyIncoming: false, gossipVerifyOutgoing: false },
    });
    // Each node gets its own keyring with the shared key (config objects are per node).
    for (const x of sim.nodes) x.ml.config.keyring = new Keyring([key]);
    try {
      assert.ok((await sim.clock.runUntil(() => allSee(sim.nodes, names(sim)), 30_000)) >= 0);
      // Stage 2: one node at a time starts encrypting; the others still accept both.
      for (const x of sim.nodes) {
        x.ml.config.gossipVerifyOutgoing = true;
        await sim.clock.advance(5_000);
      }
      // Stage 3: everyone refuses plaintext.
      for (const x of sim.nodes) x.ml.config.gossipVerifyIncoming = true;
      await sim.clock.advance(40_000);
      assert.ok(allSee(sim.nodes, names(sim)));
      for (const x of sim.nodes) {
        assert.equal(x.events.count("leave"), 0, x.name);
        assert.equal(x.ml.stats().decryptErrors, 0, x.name);
        assert.ok(x.ml.encryptionEnabled());
      }
      // Now a node without the key is shut out.
      const outsider = await addNode(sim, 9);
      await assert.rejects(settle(sim.clock, outsider.ml.join([simAddr(0)])), /failed to join/);
      await outsider.ml.shutdown();
    } finally {
      await stopAll(sim);
    }
  });
});

describe("determinism", () => {
  it("the same seed gives the same run", async () => {
    const run = async (): Promise<string> => {
      const sim = await startCluster(6, { seed: 99, network: { loss: 0.05 } });
      try {
        await sim.clock.advance(5_000);
        sim.net.crash(sim.nodes[4]!.addr);
        await sim.clock.advance(40_000);
        return JSON.stringify(sim.nodes.map((x) => x.events.events));
      } finally {
        await stopAll(sim);
      }
    };
    const first = await run();
    assert.ok(first.includes('"leave"'), "the crash was detected");
    assert.equal(await run(), first);
  });
});
