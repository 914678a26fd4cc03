/**
 * NetworkDB on real sockets: UDP and TCP on 127.0.0.1 (ports picked by the
 * kernel), real time, fast timing, three nodes in one process. They join,
 * propagate entries, bulk sync a late joiner; a node killed without leaving
 * has its entries removed everywhere. With encryption, a node without the
 * key (or with another one) can neither join nor inject an entry.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { after, describe, it } from "node:test";
import { encodeCompound } from "../../../src/networkdb/codec.js";
import type { NetworkDBConfig } from "../../../src/networkdb/config.js";
import { NetworkDB } from "../../../src/networkdb/networkdb.js";
import { dec, enc, tableEventBytes } from "./sim-helpers.js";
import { waitUntil } from "../../../src/networkdb-node/launcher.js";

/** Everything about 5x faster than Docker's LAN timing. */
function fast(name: string, extra: Partial<NetworkDBConfig> = {}): Partial<NetworkDBConfig> {
  return {
    nodeId: name,
    bindAddr: "127.0.0.1",
    bindPort: 0,
    gossipInterval: 50,
    bulkSyncInterval: 2_000,
    bulkSyncTimeout: 2_000,
    ...extra,
    memberlist: {
      probeInterval: 200,
      probeTimeout: 100,
      gossipInterval: 50,
      pushPullInterval: 2_000,
      tcpTimeout: 2_000,
      gossipToTheDeadTime: 5_000,
      ...extra.memberlist,
    },
  };
}

const started: NetworkDB[] = [];
after(async () => {
  for (const db of started) await db.shutdown();
});

async function start(name: string, extra: Partial<NetworkDBConfig> = {}): Promise<NetworkDB> {
  const db = await NetworkDB.create(fast(name, extra));
  started.push(db);
  return db;
}

const addr = (db: NetworkDB): string => `127.0.0.1:${db.port}`;

const waitFor = (predicate: () => boolean, timeoutMs: number, what: string): Promise<void> =>
  waitUntil(what, predicate, timeoutMs, 10);

describe("networkdb on loopback", () => {
  it("three nodes join, propagate, bulk sync a late joiner, and drop a killed node's entries", async () => {
    const a = await start("lb-a");
    const b = await start("lb-b");
    const c = await start("lb-c");
    await b.join([addr(a)]);
    await c.join([addr(a)]);
    await waitFor(() => [a, b, c].every((db) => db.clusterSize() === 3), 5_000, "membership");

    await a.joinNetwork("net1");
    await b.joinNetwork("net1");
    await waitFor(() => a.networkSize("net1") === 2 && b.networkSize("net1") === 2, 5_000, "net1 membership");

    a.createEntry("t1", "net1", "k1", enc("v1"));
    b.createEntry("t1", "net1", "k2", enc("v2"));
    await waitFor(() => dec(b.getEntry("t1", "net1", "k1")) === "v1" && dec(a.getEntry("t1", "net1", "k2")) === "v2", 2_000, "propagation");
    a.updateEntry("t1", "net1", "k1", enc("v1b"));
    await waitFor(() => dec(b.getEntry("t1", "net1", "k1")) === "v1b", 2_000, "update");

    // c joins late: its join-time bulk sync brings both entries.
    await c.joinNetwork("net1");
    assert.equal(dec(c.getEntry("t1", "net1", "k1")), "v1b");
    assert.equal(dec(c.getEntry("t1", "net1", "k2")), "v2");
    assert.ok(c.diagnostics().counters.bulkSyncsReceived >= 1);
    await waitFor(() => a.networkSize("net1") === 3 && b.networkSize("net1") === 3, 5_000, "c in net1 everywhere");

    // b dies without a word: a and c detect it and drop its entry.
    await b.shutdown();
    await waitFor(
      () => a.getEntry("t1", "net1", "k2") === undefined && c.getEntry("t1", "net1", "k2") === undefined,
      10_000,
      "b's entry removed",
    );
    assert.equal(dec(a.getEntry("t1", "net1", "k1")), "v1b");
    assert.deepEqual(a.clusterPeers().map((p) => p.name).sort(), ["lb-a", "lb-c"]);
    assert.deepEqual(c.peers("net1").map((p) => p.name).sort(), ["lb-a", "lb-c"]);
    const diag = a.diagnostics();
    assert.equal(diag.members.find((m) => m.name === "lb-b")?.networkdbState, "failed");
  });

  it("with encryption: a node without the key, or with another, cannot join or inject", async () => {
    const key = randomBytes(32);
    const a = await start("enc-a", { keys: [key] });
    const b = await start("enc-b", { keys: [key] });
    await b.join([addr(a)]);
    await a.joinNetwork("sec");
    await b.joinNetwork("sec");
    await waitFor(() => a.networkSize("sec") === 2 && b.networkSize("sec") === 2, 5_000, "sec membership");
    a.createEntry("t", "sec", "k", enc("secret"));
    await waitFor(() => dec(b.getEntry("t", "sec", "k")) === "secret", 2_000, "encrypted propagation");

    const plain = await start("enc-plain");
    await assert.rejects(plain.join([addr(a)]), "joining without the key fails");
    const other = await start("enc-other", { keys: [randomBytes(32)] });
    await assert.rejects(other.join([addr(a)]), "joining with another key fails");

    // A forged, unencrypted table event from "enc-a" sent straight to b's UDP port is dropped.
    const forged = tableEventBytes({ type: "create", ltime: 1_000_000, owner: "enc-a", nid: "sec", table: "t", key: "forged", value: enc("x") });
    const compound = encodeCompound([forged]);
    const datagram = Buffer.concat([Buffer.of(8), compound]);
    const sock = createSocket("udp4");
    await new Promise<void>((resolve, reject) => sock.send(datagram, b.port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));
    sock.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.getEntry("t", "sec", "forged"), undefined);
    assert.ok(b.memberlist.stats().decryptErrors >= 1, "the datagram was refused as unencrypted");
    assert.deepEqual(b.clusterPeers().map((p) => p.name).sort(), ["enc-a", "enc-b"]);

    // Key rotation: install a new key everywhere, make it primary, drop the old one.
    const next = randomBytes(32);
    for (const db of [a, b]) db.setKey(next);
    for (const db of [a, b]) db.setPrimaryKey(next);
    for (const db of [a, b]) db.removeKey(key);
    assert.deepEqual(a.memberlist.keyring?.keys.length, 1);
    a.updateEntry("t", "sec", "k", enc("rotated"));
    await waitFor(() => dec(b.getEntry("t", "sec", "k")) === "rotated", 2_000, "propagation after rotation");
  });
});
