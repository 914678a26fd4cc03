/**
 * Real sockets on 127.0.0.1 (ports picked by the kernel), real time, fast
 * timing: nodes join, exchange user messages best-effort (UDP) and reliable
 * (TCP), detect a node that shut down; encryption: same key joins, another
 * key or no key cannot, and a key rotation keeps the cluster together.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { Keyring, Memberlist, type Config, type Delegate, type Node } from "../../../src/networkdb/memberlist/index.js";
import { waitUntil } from "../../../src/networkdb-node/launcher.js";

/** Timing for loopback: everything about 5x faster than LAN defaults. */
const FAST: Partial<Config> = {
  bindAddr: "127.0.0.1",
  bindPort: 0,
  probeInterval: 200,
  probeTimeout: 100,
  gossipInterval: 50,
  pushPullInterval: 2_000,
  tcpTimeout: 2_000,
  gossipToTheDeadTime: 5_000,
};

const started: Memberlist[] = [];
after(async () => {
  for (const m of started) await m.shutdown();
});

class Inbox implements Delegate {
  readonly messages: string[] = [];
  nodeMeta(): Uint8Array {
    return new Uint8Array(0);
  }
  notifyMsg(payload: Uint8Array): void {
    this.messages.push(new TextDecoder().decode(payload));
  }
  getBroadcasts(): Uint8Array[] {
    return [];
  }
  localState(): Uint8Array {
    return new Uint8Array(0);
  }
  mergeRemoteState(): void {}
}

async function start(name: string, options: Partial<Config> = {}): Promise<Memberlist> {
  const m = await Memberlist.create({ ...FAST, name, ...options });
  started.push(m);
  return m;
}

function addr(m: Memberlist): string {
  const n = m.localNode();
  return `${n.addr}:${n.port}`;
}

const waitFor = (predicate: () => boolean, timeoutMs: number, what: string): Promise<void> =>
  waitUntil(what, predicate, timeoutMs, 20);

const sees = (m: Memberlist, names: string[]): boolean =>
  m
    .members()
    .map((n) => n.name)
    .sort()
    .join() === [...names].sort().join();

describe("loopback cluster", () => {
  it("three nodes join, exchange user messages best-effort and reliable, and detect a shutdown", async () => {
    const inboxes = [new Inbox(), new Inbox(), new Inbox()];
    const nodes = [
      await start("lb-a", { delegate: inboxes[0]! }),
      await start("lb-b", { delegate: inboxes[1]! }),
      await start("lb-c", { delegate: inboxes[2]! }),
    ];
    const names = ["lb-a", "lb-b", "lb-c"];
    assert.notEqual(nodes[0]!.localNode().port, nodes[1]!.localNode().port);
    assert.equal(await nodes[1]!.join([addr(nodes[0]!)]), 1);
    assert.equal(await nodes[2]!.join([addr(nodes[0]!)]), 1);
    await waitFor(() => nodes.every((m) => sees(m, names)), 5_000, "convergence");

    const peer = (m: Memberlist, name: string): Node => m.members().find((n) => n.name === name)!;
    nodes[0]!.sendBestEffort(peer(nodes[0]!, "lb-b"), new TextEncoder().encode("datagram for b"));
    const big = "reliable ".repeat(20_000); // 180 kB: far beyond a datagram
    await nodes[2]!.sendReliable(peer(nodes[2]!, "lb-a"), new TextEncoder().encode(big));
    await waitFor(() => inboxes[1]!.messages.includes("datagram for b"), 2_000, "best-effort message");
    await waitFor(() => inboxes[0]!.messages.includes(big), 2_000, "reliable message");

    await nodes[2]!.shutdown();
    await waitFor(
      () => [nodes[0]!, nodes[1]!].every((m) => m.memberState("lb-c")?.state === "dead"),
      10_000,
      "failure detection",
    );
    assert.ok(sees(nodes[0]!, ["lb-a", "lb-b"]));
    assert.ok(sees(nodes[1]!, ["lb-a", "lb-b"]));
    const stats = nodes[0]!.stats();
    assert.ok(stats.packetsReceived > 0 && stats.messagesReceived["ack"]!.count > 0);
    assert.equal(stats.decodeErrors + stats.checksumErrors + stats.decryptErrors, 0);
  });
});

describe("loopback encryption", () => {
  it("nodes with the same key join; a node with another key, or none, cannot", async () => {
    const key = randomBytes(32);
    const a = await start("enc-a", { secretKey: key });
    const b = await start("enc-b", { keyring: new Keyring([key]) });
    assert.ok(a.encryptionEnabled() && b.encryptionEnabled());
    assert.equal(await b.join([addr(a)]), 1);
    await waitFor(() => sees(a, ["enc-a", "enc-b"]) && sees(b, ["enc-a", "enc-b"]), 5_000, "encrypted convergence");

    const wrong = await start("enc-wrong", { secretKey: randomBytes(32) });
    await assert.rejects(wrong.join([addr(a)]), /failed to join/);
    const plain = await start("enc-plain");
    await assert.rejects(plain.join([addr(a)]), /failed to join/);
    // Their packets are dropped too: nobody learns about them.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(sees(a, ["enc-a", "enc-b"]));
    assert.ok(sees(b, ["enc-a", "enc-b"]));
    assert.ok(a.stats().decryptErrors + a.stats().streamErrors > 0, "the intruders' traffic was refused");
    assert.equal(b.stats().decryptErrors, 0);
  });

  it("rotates keys (install, use, remove) without losing membership", async () => {
    const oldKey = randomBytes(16);
    const newKey = randomBytes(16);
    const names = ["rot-a", "rot-b", "rot-c"];
    const nodes: Memberlist[] = [];
    for (const name of names) nodes.push(await start(name, { secretKey: oldKey }));
    for (const m of nodes.slice(1)) assert.equal(await m.join([addr(nodes[0]!)]), 1);
    await waitFor(() => nodes.every((m) => sees(m, names)), 5_000, "convergence");

    const leaves: string[] = [];
    const settleFor = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    // 1. Install the new key everywhere (still sending with the old one).
    for (const m of nodes) m.keyring!.addKey(newKey);
    await settleFor(300);
    // 2. Switch the primary key node by node: mixed senders must still be understood.
    for (const m of nodes) {
      m.keyring!.useKey(newKey);
      await settleFor(300);
    }
    // 3. Remove the old key.
    for (const m of nodes) m.keyring!.removeKey(oldKey);
    await settleFor(1_500); // several probe rounds and a push/pull
    for (const m of nodes) {
      assert.ok(sees(m, names), `${m.config.name} lost members`);
      for (const info of m.memberStates()) {
        if (info.state !== "alive") leaves.push(`${m.config.name}: ${info.node.name} ${info.state}`);
      }
      assert.equal(m.stats().decryptErrors, 0, `${m.config.name} failed to decrypt`);
      assert.deepEqual(
        m.keyring!.keys.map((k) => Buffer.from(k).toString("hex")),
        [newKey.toString("hex")],
      );
    }
    assert.deepEqual(leaves, []);
    // Only the new key opens the cluster now.
    const late = await start("rot-late", { secretKey: newKey });
    assert.equal(await late.join([addr(nodes[1]!)]), 1);
    await waitFor(() => nodes.every((m) => sees(m, [...names, "rot-late"])), 5_000, "late joiner seen");
    const stale = await start("rot-stale", { secretKey: oldKey });
    await assert.rejects(stale.join([addr(nodes[1]!)]), /failed to join/);
  });
});
