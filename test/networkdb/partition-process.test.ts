/**
 * A real network partition between networkdb-node processes, and its heal.
 *
 * Five nodes, each bound to its own loopback address of a random
 * 127.R.S.0/24 (every 127.x.y.z answers on lo, and a node bound to one
 * address sends UDP and TCP from it), so an nftables table can cut
 * {n0,n1} from {n2,n3,n4} in the kernel: both sides keep running and
 * writing, each sure the other is dead. Then the table goes, and the test
 * asks what NetworkDB promises after a partition:
 *
 * - every node sees all five alive again (failed nodes are retried every
 *   retryInterval, memberlist push/pulls merge the views);
 * - every node's table converges to the same content: every live entry of
 *   every owner, those written during the partition included, updates with
 *   their new values, and entries deleted during the partition absent
 *   everywhere (a delete must not be undone by the other side's stale copy);
 * - and on the way there no node hears (/events) a deleted entry come back
 *   or an old value return, not even for a moment. For that the cut is held
 *   past memberlist's tcpTimeout after the last write: a stream written
 *   before the writes and held up by the cut would otherwise still deliver
 *   its stale snapshot after the heal (seen in 1 run of 8 without the hold;
 *   the newer tombstone then wins again, as in Docker).
 *
 * Convergence times are printed (t.diagnostic), never asserted. The
 * nftables table and the processes go in `after`, and at process exit
 * whatever happens; a convergence failure prints what each node lacks and
 * its /diagnostics.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { after, before, describe, it, type TestContext } from "node:test";
import { NodeProcess, waitUntil, type StreamedEvent } from "../../src/networkdb-node/launcher.js";

// --- addresses, names ------------------------------------------------------

/** A /24 of 127/8 nobody else uses in this run: 127.R.S.0, R and S in 1..254 (never 127.0.0.x). */
const SUBNET = `127.${randomInt(1, 255)}.${randomInt(1, 255)}`;
const TAG = randomBytes(2).toString("hex");
/** The nftables table that makes the partition (family inet). */
const NFT_TABLE = `t${TAG}`;
const N = 5;
const SIDE_A = [0, 1];
const SIDE_B = [2, 3, 4];
const NID = `net-${TAG}`;
const TNAME = "partition_table";
/** Entries each node writes before the partition: k<i>-0 is updated, k<i>-1 deleted, k<i>-2 left alone during it. */
const INITIAL = 3;
/** memberlist's tcpTimeout (10 s) and a margin: how long a stream written before the cut can still deliver. */
const STALE_STREAM_MS = 11_000;

const addrOf = (i: number): string => `${SUBNET}.${10 + i}`;
const nameOf = (i: number): string => `p${TAG}-n${i}`;

// --- nftables --------------------------------------------------------------

let nftTableUp = false;

function nft(args: string[], input?: string): string {
  return execFileSync("nft", args, { encoding: "utf8", ...(input !== undefined ? { input } : {}) });
}

/**
 * Drop every packet (any protocol) from one side to the other, both
 * directions. An input hook is enough on lo (each packet crosses it once,
 * at the receiver), and it drops silently as a dead link does, where an
 * output drop would hand the sender an EPERM that no real partition gives.
 * Priority -10 runs it before any filter chain at the default priority.
 */
function partition(a: number[], b: number[]): void {
  const set = (side: number[]) => `{ ${side.map(addrOf).join(", ")} }`;
  const script = [
    `table inet ${NFT_TABLE} {`,
    `  chain input {`,
    `    type filter hook input priority -10; policy accept;`,
    `    ip saddr ${set(a)} ip daddr ${set(b)} counter drop`,
    `    ip saddr ${set(b)} ip daddr ${set(a)} counter drop`,
    `  }`,
    `}`,
  ].join("\n");
  nft(["-f", "-"], script);
  nftTableUp = true;
}

/** Packets the partition dropped so far (both rules). */
function droppedPackets(): number {
  const listing = nft(["list", "table", "inet", NFT_TABLE]);
  return [...listing.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Remove the partition table if it is there (synchronous: also runs at exit). */
function heal(): void {
  if (!nftTableUp) return;
  try {
    nft(["delete", "table", "inet", NFT_TABLE]);
  } catch (err) {
    // Already gone is fine; anything else is worth a line.
    if (!/No such file or directory/.test(String((err as { stderr?: unknown }).stderr ?? err))) {
      process.stderr.write(`nft delete table inet ${NFT_TABLE}: ${(err as Error).message}\n`);
    }
  }
  nftTableUp = false;
}

// --- processes ---------------------------------------------------------------

const spawned: NodeProcess[] = [];

function cleanup(): void {
  heal();
  for (const node of spawned) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
}

// Should the runner die without running `after`, neither the table nor a node outlives it.
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

// --- table views ---------------------------------------------------------------

interface TableRow {
  key: string;
  value: string;
  owner: string;
}

/** key -> "value@owner" as a node's /gettable?json&unsafe lists the table. */
async function tableOf(node: NodeProcess): Promise<Record<string, string>> {
  const r = await node.json<{ size: number; entries: TableRow[] | null }>("/gettable", { tname: TNAME, nid: NID, unsafe: true });
  assert.equal(r.message, "OK", `${node.name} /gettable`);
  const out: Record<string, string> = {};
  for (const row of r.details.entries ?? []) out[row.key] = `${row.value}@${row.owner}`;
  return out;
}

function sameTable(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** What `actual` lacks, holds in excess, or holds with another value, compared with `expected`. */
function tableDiff(expected: Record<string, string>, actual: Record<string, string>): string {
  const missing = Object.keys(expected).filter((k) => !(k in actual));
  const extra = Object.keys(actual).filter((k) => !(k in expected));
  const wrong = Object.keys(expected).filter((k) => k in actual && actual[k] !== expected[k]).map((k) => `${k}: ${actual[k]} (want ${expected[k]})`);
  return `missing [${missing.sort().join(" ")}] extra [${extra.sort().join(" ")}] wrong [${wrong.join("; ")}]`;
}

/** The entries of the given owners in `model`. */
function ownedBy(model: Record<string, string>, owners: number[]): Record<string, string> {
  const names = new Set(owners.map(nameOf));
  return Object.fromEntries(Object.entries(model).filter(([, v]) => names.has(v.slice(v.lastIndexOf("@") + 1))));
}

const sortedPeers = async (node: NodeProcess): Promise<string[]> => (await node.clusterPeers()).sort();
const namesOf = (side: number[]): string[] => side.map(nameOf).sort();

// --- the test ------------------------------------------------------------------

describe(`networkdb-node: partition {n0,n1} | {n2,n3,n4} with nftables and heal (${SUBNET}.0/24, table inet ${NFT_TABLE})`, () => {
  const nodes: NodeProcess[] = [];
  /** What every node must hold when all is well: key -> "value@owner". */
  const model: Record<string, string> = {};
  /** Set once the test ends the processes itself: any earlier exit is reported. */
  let ending = false;

  /** Everything a failed wait needs to be explained: each node's view against the expectation, and its diagnostics. */
  async function explain(t: TestContext, expected: (i: number) => Record<string, string>): Promise<void> {
    for (let i = 0; i < N; i++) {
      const node = nodes[i]!;
      try {
        const table = await tableOf(node);
        t.diagnostic(`${node.name} peers [${(await sortedPeers(node)).join(" ")}] network peers [${(await node.networkPeers(NID)).sort().join(" ")}]`);
        t.diagnostic(`${node.name} table: ${tableDiff(expected(i), table)}`);
        const d = (await node.diagnostics({ entries: true })) as Record<string, unknown>;
        t.diagnostic(`${node.name} diagnostics: ${JSON.stringify({ members: d.members, networks: d.networks, tables: d.tables, counters: d.counters, lamport: d.lamport })}`);
      } catch (err) {
        t.diagnostic(`${node.name}: cannot ask (${(err as Error).message}); stderr: ${node.stderrTail}`);
      }
    }
  }

  /** Wait for `what`; on timeout, print the explanation before failing. */
  async function waitOrExplain(
    t: TestContext,
    what: string,
    check: () => Promise<boolean>,
    timeoutMs: number,
    expected: (i: number) => Record<string, string>,
  ): Promise<number> {
    const start = Date.now();
    try {
      await waitUntil(what, check, timeoutMs, 100);
    } catch (err) {
      await explain(t, expected);
      throw err;
    }
    return Date.now() - start;
  }

  /** Start node i, and remember it at once so that `after` (or exit) kills it whatever happens next. */
  async function launch(i: number, join: string[]): Promise<NodeProcess> {
    const node = await NodeProcess.start({ nodeName: nameOf(i), bindAddr: addrOf(i), join });
    spawned.push(node);
    node.child.once("exit", (code, signal) => {
      if (!ending) process.stderr.write(`networkdb-node ${node.name} exited unexpectedly (${code ?? signal}):\n${node.stderrTail}\n`);
    });
    return node;
  }

  before(async () => {
    // n0 first, the others join it; each on its own address.
    const first = await launch(0, []);
    const rest = await Promise.allSettled(Array.from({ length: N - 1 }, (_, k) => launch(k + 1, [first.gossipAddr])));
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    nodes.push(first, ...rest.map((r) => (r as PromiseFulfilledResult<NodeProcess>).value));
  });

  after(async () => {
    heal();
    ending = true;
    await Promise.all(spawned.map((node) => node.kill()));
    // Nothing of ours is left in the kernel.
    const tables = nft(["list", "tables"]);
    assert.ok(!tables.includes(NFT_TABLE), `nft list tables still shows ${NFT_TABLE}:\n${tables}`);
  });

  it("five nodes on five addresses see each other, join one network and share their entries", async (t) => {
    const all = namesOf([0, 1, 2, 3, 4]);
    await waitUntil("all 5 nodes to see each other", async () => {
      const views = await Promise.all(nodes.map(sortedPeers));
      return views.every((v) => v.join() === all.join());
    }, 20_000, 100);
    // Each node advertises its own address (what the firewall tells apart).
    for (let i = 0; i < N; i++) assert.equal(nodes[i]!.gossipAddr.split(":")[0], addrOf(i));

    for (const node of nodes) await node.ok("/joinnetwork", { nid: NID });
    await waitUntil("every node to see all 5 in the network", async () => {
      const views = await Promise.all(nodes.map((node) => node.networkPeers(NID)));
      return views.every((v) => v.length === N);
    }, 20_000, 100);

    for (let i = 0; i < N; i++) {
      for (let j = 0; j < INITIAL; j++) {
        const key = `k${i}-${j}`;
        const value = `v${i}-${j}`;
        await nodes[i]!.ok("/createentry", { tname: TNAME, nid: NID, key, value, unsafe: true });
        model[key] = `${value}@${nameOf(i)}`;
      }
    }
    const took = await waitOrExplain(t, "all nodes to hold all entries", async () => {
      const tables = await Promise.all(nodes.map(tableOf));
      return tables.every((table) => sameTable(table, model));
    }, 20_000, () => model);
    t.diagnostic(`${N * INITIAL} entries everywhere ${took} ms after the last write`);
  });

  it("partitioned, each side sees the other gone with its entries, and goes on writing", async (t) => {
    const started = Date.now();
    partition(SIDE_A, SIDE_B);

    // Each side sees only itself, and only its own side's entries.
    const sideOf = (i: number) => (SIDE_A.includes(i) ? SIDE_A : SIDE_B);
    const tookPeers = await waitOrExplain(t, "each side to see the other side's nodes gone", async () => {
      const views = await Promise.all(nodes.map(sortedPeers));
      return views.every((v, i) => v.join() === namesOf(sideOf(i)).join());
    }, 30_000, (i) => ownedBy(model, sideOf(i)));
    const tookEntries = await waitOrExplain(t, "each side to drop the other side's entries", async () => {
      const tables = await Promise.all(nodes.map(tableOf));
      return tables.every((table, i) => sameTable(table, ownedBy(model, sideOf(i))));
    }, 10_000, (i) => ownedBy(model, sideOf(i)));
    t.diagnostic(`partition: other side gone after ${tookPeers} ms, its entries dropped ${tookEntries} ms later`);
    for (const i of SIDE_A) assert.deepEqual((await nodes[i]!.networkPeers(NID)).sort(), namesOf(SIDE_A));
    for (const i of SIDE_B) assert.deepEqual((await nodes[i]!.networkPeers(NID)).sort(), namesOf(SIDE_B));

    // Both sides write while cut apart: each node adds an entry, updates one
    // of its old ones, deletes another.
    for (let i = 0; i < N; i++) {
      const node = nodes[i]!;
      await node.ok("/createentry", { tname: TNAME, nid: NID, key: `k${i}-p`, value: `during-${i}`, unsafe: true });
      model[`k${i}-p`] = `during-${i}@${nameOf(i)}`;
      await node.ok("/updateentry", { tname: TNAME, nid: NID, key: `k${i}-0`, value: `updated-${i}`, unsafe: true });
      model[`k${i}-0`] = `updated-${i}@${nameOf(i)}`;
      await node.ok("/deleteentry", { tname: TNAME, nid: NID, key: `k${i}-1` });
      delete model[`k${i}-1`];
    }
    const wroteAt = Date.now();
    const tookWrites = await waitOrExplain(t, "each side to agree on its own writes", async () => {
      const tables = await Promise.all(nodes.map(tableOf));
      return tables.every((table, i) => sameTable(table, ownedBy(model, sideOf(i))));
    }, 10_000, (i) => ownedBy(model, sideOf(i)));
    t.diagnostic(`partition: each side agrees on its writes ${tookWrites} ms after them`);

    // Hold the cut a while. A message encoded before these writes can still
    // be in flight, its TCP SYN or segment dropped and retransmitted: had
    // the partition healed now, it would arrive after the heal and, for a
    // moment, bring back what was just deleted or updated on the other side
    // (the newer tombstone or value then wins again). memberlist gives up on
    // a stream after tcpTimeout (10 s), so past that nothing stale is left.
    const wait = wroteAt + STALE_STREAM_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    // The cut was real: the kernel dropped packets between the sides.
    const dropped = droppedPackets();
    assert.ok(dropped > 0, "the partition dropped no packet");
    t.diagnostic(`partition held ${Date.now() - started} ms, ${dropped} packets dropped`);
  });

  it("healed, every node sees all five again and every table converges, deletes included", async (t) => {
    // Every table event each node hears from the heal on: none may bring back
    // a deleted entry or an old value, not even for a moment.
    const heard: { node: string; event: StreamedEvent }[] = [];
    const streams = await Promise.all(
      nodes.map((node) => node.events({ tname: TNAME, nid: NID }, (event) => heard.push({ node: node.name, event }))),
    );
    try {
      heal();
      const healed = Date.now();
      const all = namesOf([0, 1, 2, 3, 4]);
      const tookPeers = await waitOrExplain(t, "every node to see all 5 alive again", async () => {
        const views = await Promise.all(nodes.map(sortedPeers));
        return views.every((v) => v.join() === all.join());
      }, 60_000, () => model);
      t.diagnostic(`heal: all 5 alive everywhere after ${tookPeers} ms`);

      /** When each node first held the final table (ms after the heal). */
      const reached: (number | undefined)[] = [];
      await waitOrExplain(t, "every node's table to converge", async () => {
        const tables = await Promise.all(nodes.map(tableOf));
        tables.forEach((table, i) => {
          if (reached[i] === undefined && sameTable(table, model)) reached[i] = Date.now() - healed;
        });
        return tables.every((table) => sameTable(table, model));
      }, Math.max(5_000, 60_000 - (Date.now() - healed)), () => model);
      t.diagnostic(`heal: tables converged ${Date.now() - healed} ms after the heal (per node: ${reached.map((ms, i) => `n${i} ${ms}`).join(", ")})`);

      // Order-insensitive equality of what every node lists, and what it lists is the model.
      const tables = await Promise.all(nodes.map(tableOf));
      for (let i = 0; i < N; i++) assert.deepEqual(tables[i], model, `${nameOf(i)}'s table`);
      for (let i = 0; i < N; i++) {
        // The entries deleted during the partition are gone everywhere, not resurrected by the other side.
        for (let owner = 0; owner < N; owner++) {
          assert.ok(!(`k${owner}-1` in tables[i]!), `${nameOf(i)} holds k${owner}-1, deleted during the partition`);
          const body = await nodes[i]!.get("/getentry", { tname: TNAME, nid: NID, key: `k${owner}-1`, unsafe: true });
          assert.match(body, /^FAIL\nError: could not get entry/, `${nameOf(i)} /getentry k${owner}-1`);
        }
      }
      // And it stays that way: a few more rounds of gossip, push/pull and bulk sync bring nothing back.
      await new Promise((r) => setTimeout(r, 3000));
      const later = await Promise.all(nodes.map(tableOf));
      for (let i = 0; i < N; i++) assert.deepEqual(later[i], model, `${nameOf(i)}'s table 3 s later`);
    } finally {
      for (const stream of streams) stream.close();
    }

    // What the nodes heard: the other side's entries as they are now, never
    // a deleted one, never a value from before the partition.
    const wrong = heard.filter(({ event }) => {
      if (event.type === "delete") return false;
      const want = model[event.key];
      const value = Buffer.from(event.value, "base64").toString("utf8");
      return want === undefined || want.slice(0, want.lastIndexOf("@")) !== value;
    });
    assert.deepEqual(
      wrong.map(({ node, event }) => `${node} ${event.type} ${event.key}=${Buffer.from(event.value, "base64").toString("utf8")}`),
      [],
      "events that brought back a deleted entry or an old value",
    );
    t.diagnostic(`heal: ${heard.length} events heard, none stale`);
    // Each node heard the other side's live entries arrive.
    for (let i = 0; i < N; i++) {
      const otherSide = SIDE_A.includes(i) ? SIDE_B : SIDE_A;
      const created = new Set(heard.filter(({ node, event }) => node === nameOf(i) && event.type === "create").map(({ event }) => event.key));
      for (const key of Object.keys(ownedBy(model, otherSide))) assert.ok(created.has(key), `${nameOf(i)} heard no create of ${key}`);
    }
  });
});
