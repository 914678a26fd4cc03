/**
 * Decoder fuzzing against live nodes (issue 4): 100,000 random and mutated
 * inputs sent over real sockets on 127.0.0.1, about 3% of them as TCP
 * connections, the rest as UDP datagrams. 70,000 go to a plain cluster,
 * 30,000 to an encrypted one.
 *
 * Every input is judged first (fuzz-corpus.ts: would the node act on it at
 * all?). Those it would not act on go to the target, a node of a two-node
 * cluster holding a network and entries: its state (members with state and
 * incarnation, networks with their nodes, entries with owner, Lamport time
 * and value, Lamport clocks) must be the same afterwards, and its
 * NetworkDB must not even have considered one event. Those it would act on
 * (a flipped byte inside a name is still a valid message) go to a separate
 * throwaway node, which must merely survive. With encryption, every
 * unauthenticated input must be refused at decryption.
 *
 * Afterwards the cluster is still healthy (the peer alive, a new entry
 * propagates both ways), nearly every datagram was counted as received by
 * the node (so the test does not prove things about dropped packets), and
 * memory after GC grew less than 5 MiB from 10% of the run to its end.
 * A last test keeps the leak this found fixed: 3,000 refused TCP
 * connections must not hold memory once closed.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect } from "node:net";
import { after, describe, it, type TestContext } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { NetworkDBConfig } from "../../src/networkdb/config.js";
import { NetworkDB } from "../../src/networkdb/networkdb.js";
import { Keyring } from "../../src/networkdb/wire/index.js";
import {
  actsOnDatagram,
  actsOnStream,
  authenticates,
  decodesWhole,
  fuzzSources,
  generateInput,
  prng,
  type FuzzInput,
  type TargetNames,
} from "./fuzz-corpus.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";

const NETWORK = "fz-net";
const TABLE = "fz-table";
/** Datagrams sent before waiting for the node to count them (well under what the socket buffer holds). */
const BATCH = 100;
/** Memory growth allowed between 10% of the run and its end, after GC. */
const MAX_GROWTH = 5 * 1024 * 1024;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Real sockets, with everything periodic that would make the target's
 * state or event counters move by itself switched off (push/pull, bulk
 * sync, and the bootstrap rejoin: it looks for a bootstrap node by IP
 * address other than its own, and on loopback every node has the same
 * one, so it would rejoin, a join push/pull that renews Lamport times) and
 * probe timings loose enough that a busy event loop (both nodes and the
 * fuzzer share it) does not get a node suspected.
 */
function config(name: string, keys: Uint8Array[]): Partial<NetworkDBConfig> {
  return {
    nodeId: name,
    bindAddr: "127.0.0.1",
    bindPort: 0,
    keys,
    gossipInterval: 50,
    bulkSyncInterval: 0,
    bulkSyncTimeout: 2_000,
    rejoinInterval: 0,
    memberlist: {
      probeInterval: 1_000,
      probeTimeout: 800,
      gossipInterval: 50,
      pushPullInterval: 0,
      tcpTimeout: 2_000,
      gossipToTheDeadTime: 5_000,
    },
  };
}

const started: NetworkDB[] = [];
after(async () => {
  for (const db of started) await db.shutdown();
});

async function start(name: string, keys: Uint8Array[] = []): Promise<NetworkDB> {
  const db = await NetworkDB.create(config(name, keys));
  started.push(db);
  return db;
}

const addr = (db: NetworkDB): string => `127.0.0.1:${db.port}`;

const waitFor = (predicate: () => boolean, timeoutMs: number, what: string): Promise<void> =>
  waitUntil(what, predicate, timeoutMs, 10);

// ------------------------------------------------------------ corpus

interface Corpus {
  /** Inputs the node would not act on (with a keyring: that do not even authenticate): for the target. */
  inert: FuzzInput[];
  /** Inputs it would act on (with a keyring: that authenticate): for the throwaway node. */
  valid: FuzzInput[];
  /** Of `valid`, those the node would act on. */
  actedOn: number;
  /** Inputs the whole-tree decoders accept but the node would not act on, and the reverse. */
  wholeOnly: number;
  layeredOnly: number;
}

function names(prefix: string): TargetNames {
  return { nodes: [`${prefix}-a`, `${prefix}-b`], network: NETWORK, table: TABLE, keys: ["ka1", "ka2", "kb1", "kb2"] };
}

function buildCorpus(count: number, seed: number, target: TargetNames, keyring?: Keyring): Corpus {
  const src = fuzzSources(target);
  const rnd = prng(seed);
  const corpus: Corpus = { inert: [], valid: [], actedOn: 0, wholeOnly: 0, layeredOnly: 0 };
  for (let i = 0; i < count; i++) {
    const input = generateInput(src, rnd, keyring === undefined ? {} : { keyring });
    const acts = input.proto === "udp" ? actsOnDatagram(input.bytes, keyring) : actsOnStream(input.bytes, keyring);
    const whole = decodesWhole(input, keyring);
    if (whole && !acts) corpus.wholeOnly++;
    if (acts && !whole) corpus.layeredOnly++;
    if (acts) corpus.actedOn++;
    // With encryption the target gets only what fails authentication, so that
    // every one of its inputs must be refused right there; the few inputs a
    // mutation left intact go to the (keyed) throwaway node with the valid ones.
    const toThrowaway = keyring === undefined ? acts : authenticates(input, keyring);
    if (acts) assert.ok(toThrowaway, "whatever a keyed node acts on authenticates");
    (toThrowaway ? corpus.valid : corpus.inert).push(input);
  }
  return corpus;
}

// ------------------------------------------------------------ state

/** What a node knows, without counters, queue lengths and clock readings. */
function stateOf(db: NetworkDB): unknown {
  const d = db.diagnostics();
  return {
    lamport: d.lamport,
    members: d.members.map((m) => ({ ...m })),
    networks: d.networks.map((n) => ({
      id: n.id,
      nodes: n.nodes,
      attachments: n.attachments,
      local: n.local === null ? null : { ltime: n.local.ltime, leaving: n.local.leaving, inSync: n.local.inSync },
      entries: n.entries,
    })),
    tables: Object.values(d.tables)
      .flat()
      .map(({ reapInSeconds: _, ...e }) => e),
    entryCount: d.entryCount,
    tombstoneCount: d.tombstoneCount,
  };
}

/** The counters that move when NetworkDB handles an event at all (applied or not). */
function eventsConsidered(db: NetworkDB): Record<string, number> {
  const c = db.diagnostics().counters;
  return {
    tableEventsReceived: c.tableEventsReceived,
    networkEventsReceived: c.networkEventsReceived,
    nodeEventsReceived: c.nodeEventsReceived,
    bulkSyncsReceived: c.bulkSyncsReceived,
  };
}

function quiet(db: NetworkDB): boolean {
  const q = db.diagnostics().queues;
  return q.memberlist === 0 && q.networkEvents === 0 && q.nodeEvents === 0 && Object.values(q.tableEvents).every((n) => n === 0);
}

/** Two joined nodes in one network with entries (one of them deleted, a tombstone), all gossip drained. */
async function cluster(prefix: string, keys: Uint8Array[]): Promise<{ target: NetworkDB; peer: NetworkDB }> {
  const target = await start(`${prefix}-a`, keys);
  const peer = await start(`${prefix}-b`, keys);
  await peer.join([addr(target)]);
  await target.joinNetwork(NETWORK);
  await peer.joinNetwork(NETWORK);
  await waitFor(() => target.networkSize(NETWORK) === 2 && peer.networkSize(NETWORK) === 2, 5_000, "network membership");
  // Each joined when the other may not yet have been known to be in: their
  // tables meet by a bulk sync (at join, or a moment after), which must be
  // over before the fuzzing starts.
  const synced = (db: NetworkDB) => db.diagnostics().counters.bulkSyncsReceived >= 1;
  await waitFor(() => synced(target) && synced(peer), 10_000, "the join-time bulk sync");
  target.createEntry(TABLE, NETWORK, "ka1", enc("a1"));
  target.createEntry(TABLE, NETWORK, "ka2", enc("a2"));
  peer.createEntry(TABLE, NETWORK, "kb1", enc("b1"));
  peer.createEntry(TABLE, NETWORK, "kb2", enc("b2"));
  peer.deleteEntry(TABLE, NETWORK, "kb2");
  await waitFor(
    () => dec(peer.getEntry(TABLE, NETWORK, "ka2")) === "a2" && dec(target.getEntry(TABLE, NETWORK, "kb1")) === "b1",
    5_000,
    "propagation",
  );
  await waitFor(() => target.diagnostics().tombstoneCount === 1, 5_000, "the tombstone");
  // Queues empty and nothing more arriving: the last transmission of a queued event may still be in flight.
  const deadline = Date.now() + 10_000;
  for (;;) {
    await waitFor(() => quiet(target) && quiet(peer), 10_000, "gossip queues to drain");
    const seen = JSON.stringify([eventsConsidered(target), eventsConsidered(peer)]);
    await sleep(300);
    if (quiet(target) && quiet(peer) && JSON.stringify([eventsConsidered(target), eventsConsidered(peer)]) === seen) break;
    if (Date.now() > deadline) throw new Error("the cluster did not settle");
  }
  return { target, peer };
}

/** After the fuzzing: the peer is alive to the target and entries still travel both ways. */
async function assertHealthy(target: NetworkDB, peer: NetworkDB, tag: string): Promise<void> {
  assert.equal(target.clusterSize(), 2);
  assert.equal(peer.clusterSize(), 2);
  const view = target.diagnostics().members.find((m) => m.name === peer.nodeId);
  assert.equal(view?.memberlistState, "alive");
  target.createEntry(TABLE, NETWORK, `after-${tag}-a`, enc("x"));
  peer.createEntry(TABLE, NETWORK, `after-${tag}-b`, enc("y"));
  await waitFor(
    () => dec(peer.getEntry(TABLE, NETWORK, `after-${tag}-a`)) === "x" && dec(target.getEntry(TABLE, NETWORK, `after-${tag}-b`)) === "y",
    5_000,
    "an entry written after the fuzzing to propagate",
  );
}

// ------------------------------------------------------------ sending

/** A collectable gc(), exposed on demand when node was not started with --expose-gc. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function sendDatagram(sock: UdpSocket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => sock.send(bytes, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));
}

/**
 * One TCP connection: write the bytes, close our side, read whatever the
 * node answers until it closes. Resolves false if the node neither answers
 * nor closes within 5 s (which would be a hang).
 */
function sendStream(bytes: Uint8Array, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 5_000);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", () => {});
    socket.on("error", () => {}); // a reset still ends in "close"
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

interface Fired {
  udp: number;
  tcp: number;
  /** Non-empty TCP streams. */
  tcpWithBytes: number;
  tcpHangs: number;
}

/**
 * Send `inputs` to `port` in batches; after each, wait until `received()`
 * has counted the batch's datagrams (or stops moving for 100 ms), so the
 * kernel's buffer is never flooded. `progress` runs after each batch.
 */
async function fire(
  inputs: readonly FuzzInput[],
  port: number,
  received: () => number,
  progress: (sent: number) => void = () => {},
): Promise<Fired> {
  const sock = createSocket("udp4");
  sock.on("message", () => {}); // answers to valid pings, if any
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const fired: Fired = { udp: 0, tcp: 0, tcpWithBytes: 0, tcpHangs: 0 };
  try {
    for (let i = 0; i < inputs.length; i += BATCH) {
      const batch = inputs.slice(i, i + BATCH);
      const sends: Promise<unknown>[] = [];
      for (const input of batch) {
        if (input.proto === "udp") {
          sends.push(sendDatagram(sock, input.bytes, port));
          fired.udp++;
        } else {
          fired.tcp++;
          if (input.bytes.length > 0) fired.tcpWithBytes++;
          sends.push(sendStream(input.bytes, port).then((ok) => void (ok ? 0 : fired.tcpHangs++)));
        }
      }
      await Promise.all(sends);
      let last = -1;
      let stalledSince = Date.now();
      for (;;) {
        const n = received();
        if (n >= fired.udp) break;
        if (n !== last) {
          last = n;
          stalledSince = Date.now();
        } else if (Date.now() - stalledSince > 100) break;
        await new Promise((r) => setImmediate(r));
      }
      progress(i + batch.length);
    }
  } finally {
    sock.close();
  }
  return fired;
}

/**
 * Send the inputs the node would act on to a fresh node, which must survive
 * them and still answer a ping; with `expectEvents`, its NetworkDB must have
 * handled events from them (the verdict "acts on" is not empty talk).
 */
async function throwaway(
  name: string,
  valid: readonly FuzzInput[],
  keys: Uint8Array[],
  pinger: NetworkDB,
  expectEvents: boolean,
): Promise<Fired> {
  const node = await start(name, keys);
  const fired = await fire(valid, node.port, () => node.memberlist.stats().packetsReceived);
  assert.equal(fired.tcpHangs, 0, "every TCP connection to the throwaway node was closed by it");
  assert.ok(node.memberlist.stats().packetsReceived >= fired.udp * 0.99);
  if (expectEvents) {
    const handled = Object.values(eventsConsidered(node)).reduce((a, b) => a + b, 0);
    assert.ok(handled > valid.length / 10, `the throwaway node's NetworkDB handled ${handled} events`);
  }
  const rtt = await pinger.memberlist.ping(node.nodeId, addr(node));
  assert.ok(rtt >= 0, "the throwaway node still answers a ping");
  await node.shutdown();
  return fired;
}

/**
 * Fire `inputs` at the target, with its state, event counters and traffic
 * counters (and the peer's) read before and after, and its memory after GC
 * at a tenth of the way and at the end.
 */
async function fireAtTarget(target: NetworkDB, peer: NetworkDB, inputs: FuzzInput[], gc: () => void) {
  const before = stateOf(target);
  const considered = eventsConsidered(target);
  const t0 = target.memberlist.stats();
  const p0 = peer.memberlist.stats();
  // The datagrams the target received that the peer did not send: ours.
  const received = (): number =>
    target.memberlist.stats().packetsReceived - t0.packetsReceived - (peer.memberlist.stats().packetsSent - p0.packetsSent);
  let memoryAt10 = 0;
  const tenth = Math.floor(inputs.length / 10);
  const fired = await fire(inputs, target.port, received, (sent) => {
    if (memoryAt10 === 0 && sent >= tenth) memoryAt10 = heapAfterGc(gc);
  });
  const memoryAtEnd = heapAfterGc(gc);
  return { before, considered, t0, t1: target.memberlist.stats(), p0, p1: peer.memberlist.stats(), fired, got: received(), memoryAt10, memoryAtEnd };
}

// ------------------------------------------------------------ the runs

describe("live fuzzing of NetworkDB nodes on loopback", () => {
  const gc = getGc();

  it("70,000 random and mutated inputs: the plain target's state never moves, the cluster stays healthy, memory stays flat", async (t: TestContext) => {
    const corpus = buildCorpus(70_000, 0x11fe_f022, names("fz"));
    const { target, peer } = await cluster("fz", []);
    const ndbErrors0 = target.diagnostics().counters.decodeErrors;
    const { before, considered, t0, t1, p0, p1, fired, got, memoryAt10, memoryAtEnd } = await fireAtTarget(target, peer, corpus.inert, gc);
    assert.equal(fired.tcpHangs, 0, "every TCP connection was closed by the node");
    assert.deepEqual(stateOf(target), before, "state unchanged by input the node cannot act on");
    assert.deepEqual(eventsConsidered(target), considered, "no event of the fuzz reached NetworkDB's handlers");
    assert.ok(got >= fired.udp * 0.995, `the node counted ${got} of ${fired.udp} datagrams`);
    assert.equal(t1.streamsAccepted - t0.streamsAccepted - (p1.streamsOpened - p0.streamsOpened), fired.tcp, "every TCP connection was accepted");
    // The fuzz reached every layer: checksums, memberlist's decoder, NetworkDB's.
    assert.ok(t1.checksumErrors - t0.checksumErrors > 1000);
    assert.ok(t1.decodeErrors - t0.decodeErrors > 1000);
    assert.ok(t1.streamErrors - t0.streamErrors > fired.tcp / 2);
    assert.ok(target.diagnostics().counters.decodeErrors - ndbErrors0 > 1000);

    await assertHealthy(target, peer, "plain");
    const growth = memoryAtEnd - memoryAt10;
    assert.ok(growth < MAX_GROWTH, `memory grew by ${(growth / 1048576).toFixed(2)} MiB`);

    const thrown = await throwaway("fz-throwaway", corpus.valid, [], peer, true);
    await Promise.all([target.shutdown(), peer.shutdown()]);
    t.diagnostic(
      `plain: generated ${corpus.inert.length + corpus.valid.length}; to target ${fired.udp} UDP (received ${got}) + ${fired.tcp} TCP, ` +
        `invalid ${corpus.inert.length}; valid-decoding ${corpus.valid.length} (${thrown.udp} UDP + ${thrown.tcp} TCP) to the throwaway node; ` +
        `whole-tree decoders disagree: accept-only ${corpus.wholeOnly}, layered-only ${corpus.layeredOnly}; ` +
        `memory ${(memoryAt10 / 1048576).toFixed(1)} -> ${(memoryAtEnd / 1048576).toFixed(1)} MiB`,
    );
  });

  it("30,000 inputs to an encrypted node: every unauthenticated one is refused, state unchanged", async (t: TestContext) => {
    const keyRnd = prng(0xc1a55);
    const key = Uint8Array.from({ length: 32 }, () => keyRnd(256)); // random, but the same every run: a failure replays
    const keyring = new Keyring([key]);
    const corpus = buildCorpus(30_000, 0x5ea1_ed00, names("fe"), keyring);
    const { target, peer } = await cluster("fe", [key]);
    const { before, considered, t0, t1, p0, p1, fired, got, memoryAt10, memoryAtEnd } = await fireAtTarget(target, peer, corpus.inert, gc);
    assert.equal(fired.tcpHangs, 0, "every TCP connection was closed by the node");
    assert.deepEqual(stateOf(target), before, "state unchanged by unauthenticated input");
    assert.deepEqual(eventsConsidered(target), considered);
    assert.ok(got >= fired.udp * 0.995, `the node counted ${got} of ${fired.udp} datagrams`);
    // Every datagram of ours that arrived was refused at decryption (the peer's never are).
    const refused = t1.decryptErrors - t0.decryptErrors;
    assert.ok(refused <= fired.udp && refused >= fired.udp * 0.995, `refused ${refused} of ${fired.udp}`);
    const passedDecryption = t1.packetsReceived - t0.packetsReceived - refused;
    assert.ok(passedDecryption <= p1.packetsSent - p0.packetsSent, "only the peer's datagrams got through decryption");
    assert.equal(t1.streamsAccepted - t0.streamsAccepted - (p1.streamsOpened - p0.streamsOpened), fired.tcp, "every TCP connection was accepted");
    assert.equal(t1.streamErrors - t0.streamErrors, fired.tcpWithBytes, "every non-empty TCP stream was refused");
    assert.deepEqual(t1.streamMessagesReceived, t0.streamMessagesReceived, "no fuzzed frame was read as a message");
    await assertHealthy(target, peer, "encrypted");
    const growth = memoryAtEnd - memoryAt10;
    assert.ok(growth < MAX_GROWTH, `memory grew by ${(growth / 1048576).toFixed(2)} MiB`);

    // Only inputs a mutation left intact still authenticate: a keyed throwaway node takes them.
    const thrown = await throwaway("fe-throwaway", corpus.valid, [key], peer, false);
    await Promise.all([target.shutdown(), peer.shutdown()]);
    t.diagnostic(
      `encrypted: generated ${corpus.inert.length + corpus.valid.length}; refused by target ${refused} of ${fired.udp} UDP + ` +
        `${t1.streamErrors - t0.streamErrors} of ${fired.tcp} TCP; still authentic ${corpus.valid.length} ` +
        `(${thrown.udp} UDP + ${thrown.tcp} TCP, ${corpus.actedOn} valid-decoding) to a keyed throwaway node; ` +
        `memory ${(memoryAt10 / 1048576).toFixed(1)} -> ${(memoryAtEnd / 1048576).toFixed(1)} MiB`,
    );
  });

  it("a closed TCP connection is released at once, not held for the close grace period", async () => {
    // Regression: the node's side of every stream armed a 5 s timer to destroy
    // a socket whose peer never closes, and did not disarm it when the socket
    // closed; each timer kept its closed socket (about 1.5 KB) alive, so the
    // fuzzing's burst of refused connections grew memory by megabytes.
    const node = await start("fz-tcp");
    const garbage = Uint8Array.of(0xff, 0x00, 0x01);
    const connections = 3_000;
    const s0 = node.memberlist.stats();
    const before = heapAfterGc(gc);
    for (let i = 0; i < connections; i += 25) {
      const results = await Promise.all(Array.from({ length: 25 }, () => sendStream(garbage, node.port)));
      assert.ok(results.every(Boolean), "the node closed every connection");
    }
    const growth = heapAfterGc(gc) - before;
    const s1 = node.memberlist.stats();
    assert.equal(s1.streamsAccepted - s0.streamsAccepted, connections);
    assert.equal(s1.streamErrors - s0.streamErrors, connections);
    assert.ok(growth < 1024 * 1024, `${connections} closed connections hold ${(growth / 1024).toFixed(0)} KiB`);
    await node.shutdown();
  });
});
