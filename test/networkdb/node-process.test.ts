/**
 * networkdb-node as real processes on 127.0.0.1, driven over HTTP the way
 * a libnetwork networkdb-test script drives Go nodes:
 *
 * - the command surface answers in a Go node's exact words and formats
 *   (text and JSON, Go's quirky "-=name" and "QueueLen" tags, Go's base64
 *   refusals at the byte Go names, url-encoded POST bodies as r.Form);
 * - across processes: join (--join and /join), propagation of create,
 *   update and delete, bulk sync of a late network joiner, a kill -9 and
 *   a SIGTERM seen by the others (dead vs left);
 * - with --key: same key clusters, another key or none can neither join
 *   nor inject a table event;
 * - bad flags exit 2 with a message.
 *
 * Every node keeps its default timings (the failure detector included).
 * Each describe shares its nodes between its tests, which run in order;
 * every process started here is killed in `after`, and at exit whatever
 * happens.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { encodeCompound } from "../../src/networkdb/codec.js";
import { Keyring, encryptPacket } from "../../src/networkdb/wire/encryption.js";
import { NODE_BIN, NodeProcess, waitUntil, type LaunchOptions } from "../../src/networkdb-node/launcher.js";
import { tableEventBytes } from "./networkdb/sim-helpers.js";

// --- processes -------------------------------------------------------------

const spawned: NodeProcess[] = [];
/** Nodes a test ends on purpose; any other exit is reported with the node's last words. */
const ending = new Set<NodeProcess>();

/** Start a node and remember it, so that `after` (or exit) kills it whatever happens. */
async function launch(nodeName: string, options: LaunchOptions = {}): Promise<NodeProcess> {
  const node = await NodeProcess.start({ nodeName, ...options });
  spawned.push(node);
  node.child.once("exit", (code, signal) => {
    if (!ending.has(node)) {
      process.stderr.write(`networkdb-node ${node.name} (pid ${node.pid}) exited unexpectedly (${code ?? signal}):\n${node.stderrTail}\n`);
    }
  });
  return node;
}

/** kill -9 (default) or another signal, on purpose. */
async function killNode(node: NodeProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  ending.add(node);
  await node.kill(signal);
}

/** SIGTERM, on purpose (SIGKILL after 5 s). */
async function stopNode(node: NodeProcess): Promise<void> {
  ending.add(node);
  await node.stop();
}

after(async () => {
  await Promise.all(spawned.map((node) => killNode(node)));
});
// Should the runner die without running `after`, no node outlives it.
process.on("exit", () => {
  for (const node of spawned) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
});

// --- HTTP ------------------------------------------------------------------

interface RawReply {
  status: number;
  body: string;
}

/** One request with any method and body (NodeProcess.get only GETs, and hides the status). */
function send(node: NodeProcess, method: string, path: string, body?: string, contentType?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers["content-type"] = contentType;
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const req = request({ host: "127.0.0.1", port: node.httpPort, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface TableRow {
  key: string;
  value: string;
  owner: string;
}

/** A table as a node's /gettable?json lists it, by key. */
async function tableOf(node: NodeProcess, tname: string, nid: string, unsafe = false): Promise<Map<string, TableRow>> {
  const params: Record<string, string | true> = { tname, nid };
  if (unsafe) params.unsafe = true;
  const r = await node.json<{ size: number; entries: TableRow[] | null }>("/gettable", params);
  assert.equal(r.message, "OK");
  const rows = r.details.entries ?? [];
  assert.equal(r.details.size, rows.length, "size counts the entries listed");
  return new Map(rows.map((row) => [row.key, row]));
}

/** key -> "value@owner" (plain-text values), for comparing whole tables in one assertion. */
async function summary(node: NodeProcess, tname: string, nid: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, row] of await tableOf(node, tname, nid, true)) out[key] = `${row.value}@${row.owner}`;
  return out;
}

async function sortedPeers(node: NodeProcess): Promise<string[]> {
  return (await node.clusterPeers()).sort();
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** A member as a node's /diagnostics describes it. */
interface MemberView {
  name: string;
  memberlistState: string | null;
  networkdbState: string | null;
}

/** How `node` sees member `name`, in memberlist and in NetworkDB. */
async function states(node: NodeProcess, name: string): Promise<Omit<MemberView, "name"> | undefined> {
  const d = (await node.diagnostics({ entries: false })) as { members: MemberView[] };
  const m = d.members.find((x) => x.name === name);
  return m === undefined ? undefined : { memberlistState: m.memberlistState, networkdbState: m.networkdbState };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- 1. the command surface ---------------------------------------------------

describe("networkdb-node: the command surface in a Go node's words", () => {
  let p: NodeProcess;
  let q: NodeProcess;

  before(async () => {
    [p, q] = await Promise.all([launch("surface-p"), launch("surface-q")]);
    assert.equal(await q.get("/join", { members: p.gossipAddr }), "OK");
    await waitUntil("p and q to see each other", async () => (await p.clusterPeers()).length === 2 && (await q.clusterPeers()).length === 2, 10_000);
  });

  it("/ready, an unknown path, and a missing parameter on every command", async () => {
    assert.deepEqual(await send(p, "GET", "/ready"), { status: 200, body: "OK\nOK" });
    assert.equal(await p.get("/ready", { json: true }), '{"message":"OK","details":{"info":"OK"}}');
    assert.equal(await p.get("/ready", { json: "pretty" }), '{\n  "message": "OK",\n  "details": {\n    "info": "OK"\n  }\n}');

    // Go answers 200 and says what went wrong in the body.
    assert.deepEqual(await send(p, "GET", "/nosuchcommand?nid=x"), {
      status: 200,
      body: "not implemented\nUsage: URL path: /nosuchcommand no method implemented check /help\n",
    });
    assert.equal(
      await p.get("/nosuchcommand", { json: true }),
      '{"message":"not implemented","details":{"usage":"URL path: /nosuchcommand no method implemented check /help\\n"}}',
    );

    const usages: Record<string, string> = {
      "/join": "/join?members=ip1,ip2,...",
      "/networkpeers": "/networkpeers?nid=test",
      "/joinnetwork": "/joinnetwork?nid=network_id",
      "/leavenetwork": "/leavenetwork?nid=network_id",
      "/createentry": "/createentry?tname=table_name&nid=network_id&key=k&value=v",
      "/updateentry": "/updateentry?tname=table_name&nid=network_id&key=k&value=v",
      "/deleteentry": "/deleteentry?tname=table_name&nid=network_id&key=k",
      "/getentry": "/getentry?tname=table_name&nid=network_id&key=k",
      "/gettable": "/gettable?tname=table_name&nid=network_id",
      "/networkstats": "/networkstats?nid=test",
    };
    for (const [path, usage] of Object.entries(usages)) {
      assert.equal(await p.get(path), `missing parameter\nUsage: ${usage}`, path);
    }
    // One parameter short is as good as none.
    assert.equal(
      await p.get("/createentry", { tname: "t", nid: "n", key: "k" }),
      "missing parameter\nUsage: /createentry?tname=table_name&nid=network_id&key=k&value=v",
    );
    // Go's encoding/json writes & as \u0026.
    assert.equal(
      await p.get("/createentry", { json: true }),
      '{"message":"missing parameter","details":{"usage":"/createentry?tname=table_name\\u0026nid=network_id\\u0026key=k\\u0026value=v"}}',
    );
    // The dummy client's watch commands answer in JSON whatever was asked.
    assert.equal(await p.get("/watchtable"), '{"message":"missing parameter","details":{"usage":"/watchtable?tname=table_name"}}');
    assert.equal(
      await p.get("/watchedtableentries"),
      '{"message":"missing parameter","details":{"usage":"/watchedtableentries?tname=table_name"}}',
    );
    assert.equal(await p.get("/myip"), "127.0.0.1\n");
  });

  it("joins a network, creates entries from base64 and from plain text (unsafe), reads them back", async () => {
    assert.equal(await p.get("/joinnetwork", { nid: "n1" }), "OK");
    assert.equal(await p.get("/joinnetwork", { nid: "n1b", json: true }), '{"message":"OK","details":null}');

    assert.equal(await p.get("/createentry", { tname: "t", nid: "n1", key: "k1", value: b64("hello") }), "OK");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k1" }), "OK\n0) k:`k1` -> v:`aGVsbG8=` owner:``\n");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k1", unsafe: true }), "OK\n0) k:`k1` -> v:`hello` owner:``\n");
    assert.equal(
      await p.get("/getentry", { tname: "t", nid: "n1", key: "k1", json: true }),
      '{"message":"OK","details":{"key":"k1","value":"aGVsbG8=","owner":""}}',
    );

    // unsafe: the value is taken as it is, and read back in base64 without unsafe.
    const plain = "10.0.0.2 & <mac>";
    assert.equal(await p.get("/createentry", { tname: "t", nid: "n1", key: "k2", value: plain, unsafe: true }), "OK");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k2" }), `OK\n0) k:\`k2\` -> v:\`${b64(plain)}\` owner:\`\`\n`);
    assert.equal(
      await p.get("/getentry", { tname: "t", nid: "n1", key: "k2", unsafe: true, json: true }),
      '{"message":"OK","details":{"key":"k2","value":"10.0.0.2 \\u0026 \\u003cmac\\u003e","owner":""}}',
    );
    // Go's decoder skips newlines inside base64.
    assert.equal(await p.get("/createentry", { tname: "t", nid: "n1", key: "k3", value: "aGVs\r\nbG8=\n" }), "OK");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k3", unsafe: true }), "OK\n0) k:`k3` -> v:`hello` owner:``\n");

    // Refusals, in Go NetworkDB's words.
    assert.equal(
      await p.get("/createentry", { tname: "t", nid: "n1", key: "k1", value: b64("again") }),
      "FAIL\nError: cannot create entry in table t with network id n1 and key k1, already exists",
    );
    assert.equal(
      await p.get("/getentry", { tname: "t", nid: "n1", key: "nokey" }),
      "FAIL\nError: could not get entry in table t with network id n1 and key nokey",
    );
    assert.equal(
      await p.get("/getentry", { tname: "t", nid: "n1", key: "nokey", json: true }),
      '{"message":"FAIL","details":{"error":"could not get entry in table t with network id n1 and key nokey"}}',
    );
    // (Go would store an entry in a network it has not joined; NetworkDB refuses.)
    assert.match(await p.get("/createentry", { tname: "t", nid: "elsewhere", key: "k", value: "YQ==" }), /^FAIL\nError: /);
  });

  it("refuses bad base64 at the byte Go's decoder names", async () => {
    // Each pair was checked against Go's base64.StdEncoding.DecodeString.
    const refused: [string, number][] = [
      ["aGVsbG8", 4], // a quantum cut short
      ["aG!sbG8=", 2], // outside the alphabet
      ["aGVs bG8=", 4], // a space is not skipped, only \r and \n
      ["YQ=", 3], // "==" expected, the text ends
      ["YQ=x", 2], // "==" expected, another byte
      ["Y===", 1], // padding after one character
      ["YQ==YQ==", 4], // data after the padding
      ["YQ", 0], // padding missing
      ["-_8=", 0], // the URL alphabet is not the standard one
    ];
    for (const [value, at] of refused) {
      assert.equal(
        await p.get("/createentry", { tname: "t", nid: "n1", key: "bad", value }),
        `FAIL\nError: illegal base64 data at input byte ${at}`,
        JSON.stringify(value),
      );
      assert.equal(await p.get("/updateentry", { tname: "t", nid: "n1", key: "k1", value }), `FAIL\nError: illegal base64 data at input byte ${at}`);
    }
    assert.equal(
      await p.get("/createentry", { tname: "t", nid: "n1", key: "bad", value: "YQ", json: true }),
      '{"message":"FAIL","details":{"error":"illegal base64 data at input byte 0"}}',
    );
    assert.match(await p.get("/getentry", { tname: "t", nid: "n1", key: "bad" }), /^FAIL\n/, "nothing was stored");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k1", unsafe: true }), "OK\n0) k:`k1` -> v:`hello` owner:``\n", "nor updated");
  });

  it("lists a table in text and JSON, and counts a network's entries (-1/-1 when not joined)", async () => {
    const text = await p.get("/gettable", { tname: "t", nid: "n1", unsafe: true });
    const [head, count, ...rows] = text.split("\n");
    assert.equal(head, "OK");
    assert.equal(count, "total entries: 3");
    assert.equal(rows.pop(), "", "the text ends with a newline");
    // Go walks a map: the order is not part of the format, the numbering is.
    assert.deepEqual(
      rows.map((r) => r.replace(/^\d+\) /, "")).sort(),
      ["k:`k1` -> v:`hello` owner:`surface-p`", "k:`k2` -> v:`10.0.0.2 & <mac>` owner:`surface-p`", "k:`k3` -> v:`hello` owner:`surface-p`"],
    );
    assert.deepEqual(rows.map((r) => r.slice(0, 3)), ["0) ", "1) ", "2) "]);

    const json = JSON.parse(await p.get("/gettable", { tname: "t", nid: "n1", json: true })) as unknown;
    assert.deepEqual(Object.keys(json as object), ["message", "details"]);
    const details = (json as { details: { size: number; entries: TableRow[] } }).details;
    assert.deepEqual(Object.keys(details), ["size", "entries"]);
    assert.equal(details.size, 3);
    assert.deepEqual(
      [...details.entries].sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: "k1", value: "aGVsbG8=", owner: "surface-p" },
        { key: "k2", value: b64("10.0.0.2 & <mac>"), owner: "surface-p" },
        { key: "k3", value: "aGVsbG8=", owner: "surface-p" },
      ],
    );
    for (const e of details.entries) assert.deepEqual(Object.keys(e), ["key", "value", "owner"]);
    // An empty table: Go marshals its nil list as null.
    assert.equal(await p.get("/gettable", { tname: "empty", nid: "n1", json: true }), '{"message":"OK","details":{"size":0,"entries":null}}');
    assert.equal(await p.get("/gettable", { tname: "empty", nid: "n1" }), "OK\ntotal entries: 0\n");

    const stats = await p.json<Record<string, number>>("/networkstats", { nid: "n1" });
    assert.deepEqual(Object.keys(stats.details), ["entries", "QueueLen"], "Go's struct tag typo makes the field QueueLen");
    assert.equal(stats.details.entries, 3);
    assert.ok(Number.isInteger(stats.details.QueueLen) && stats.details.QueueLen! >= 0);
    assert.match(await p.get("/networkstats", { nid: "n1" }), /^OK\nentries: 3, qlen: \d+\n$/);
    assert.equal(await p.get("/networkstats", { nid: "not-joined", json: true }), '{"message":"OK","details":{"entries":-1,"QueueLen":-1}}');
    assert.equal(await p.get("/networkstats", { nid: "not-joined" }), "OK\nentries: -1, qlen: -1\n");
  });

  it("lists cluster and network peers with Go's \"-=name\" tag", async () => {
    const cluster = await p.json<{ size: number; entries: Record<string, string>[] }>("/clusterpeers");
    assert.equal(cluster.message, "OK");
    assert.equal(cluster.details.size, 2);
    assert.deepEqual(
      [...cluster.details.entries].sort((a, b) => a["-=name"]!.localeCompare(b["-=name"]!)),
      [
        { "-=name": "surface-p", ip: "127.0.0.1" },
        { "-=name": "surface-q", ip: "127.0.0.1" },
      ],
    );
    const text = await q.get("/clusterpeers");
    assert.match(text, /^OK\ntotal entries: 2\n0\) surface-[pq] -> 127\.0\.0\.1\n1\) surface-[pq] -> 127\.0\.0\.1\n$/);

    // n1: p alone until q joins; then both see both; q leaves, and both see p alone.
    assert.equal(await p.get("/networkpeers", { nid: "n1", json: true }), '{"message":"OK","details":{"size":1,"entries":[{"-=name":"surface-p","ip":"127.0.0.1"}]}}');
    assert.equal(await p.get("/networkpeers", { nid: "n1" }), "OK\ntotal entries: 1\n0) surface-p -> 127.0.0.1\n");
    assert.equal(await p.get("/networkpeers", { nid: "nobody-here", json: true }), '{"message":"OK","details":{"size":0,"entries":null}}');
    assert.equal(await q.get("/joinnetwork", { nid: "n1" }), "OK");
    await waitUntil("n1 to list p and q on both", async () => {
      const views = await Promise.all([p.networkPeers("n1"), q.networkPeers("n1")]);
      return views.every((v) => v.length === 2);
    }, 10_000);
    // q's join brought p's entries along.
    await waitUntil("q to hold p's entries", async () => (await tableOf(q, "t", "n1")).size === 3, 10_000);
    assert.equal((await tableOf(q, "t", "n1")).get("k1")?.owner, "surface-p");

    assert.equal(await q.get("/leavenetwork", { nid: "n1" }), "OK");
    assert.equal(await q.get("/leavenetwork", { nid: "n1" }).then((b) => b.split("\n")[0]), "FAIL", "leaving twice fails");
    await waitUntil("n1 to list p alone on p", async () => (await p.networkPeers("n1")).length === 1, 10_000);
    assert.deepEqual(await q.json("/networkstats", { nid: "n1" }), { message: "OK", details: { entries: -1, QueueLen: -1 } });
    assert.equal((await tableOf(q, "t", "n1")).size, 0, "leaving a network drops its entries");
  });

  it("updates and deletes entries, and refuses what does not exist", async () => {
    assert.equal(await p.get("/updateentry", { tname: "t", nid: "n1", key: "k1", value: b64("updated") }), "OK");
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "k1", unsafe: true }), "OK\n0) k:`k1` -> v:`updated` owner:``\n");
    assert.equal(await p.get("/updateentry", { tname: "t", nid: "n1", key: "k2", value: "plain again", unsafe: true }), "OK");
    assert.equal((await tableOf(p, "t", "n1", true)).get("k2")?.value, "plain again");
    assert.equal(
      await p.get("/updateentry", { tname: "t", nid: "n1", key: "nokey", value: "YQ==" }),
      "FAIL\nError: cannot update entry as the entry in table t with network id n1 and key nokey does not exist",
    );

    assert.equal(await p.get("/deleteentry", { tname: "t", nid: "n1", key: "k3" }), "OK");
    assert.equal(
      await p.get("/getentry", { tname: "t", nid: "n1", key: "k3" }),
      "FAIL\nError: could not get entry in table t with network id n1 and key k3",
    );
    assert.equal(
      await p.get("/deleteentry", { tname: "t", nid: "n1", key: "k3" }),
      "FAIL\nError: cannot delete entry t with network id n1 and key k3 does not exist or is already being deleted",
    );
    assert.deepEqual([...(await tableOf(p, "t", "n1")).keys()].sort(), ["k1", "k2"]);
    // The tombstone still counts in Go's entriesNumber until it is reaped.
    assert.equal((await p.json<{ entries: number }>("/networkstats", { nid: "n1" })).details.entries, 3);
  });

  it("mirrors a watched table from the cluster's events (/watchtable, /watchedtableentries)", async () => {
    assert.equal(await q.get("/watchedtableentries", { tname: "w" }), "Table w not watched\n");
    assert.equal(await q.get("/watchtable", { tname: "w" }), "OK\n");
    assert.equal(await q.get("/watchtable", { tname: "w" }), "OK\n", "watching twice is fine");
    assert.equal(await q.get("/watchedtableentries", { tname: "w" }), "total elements: 0\n");

    await Promise.all([p.ok("/joinnetwork", { nid: "nw" }), q.ok("/joinnetwork", { nid: "nw" })]);
    await waitUntil("nw to list p and q on both", async () => {
      const views = await Promise.all([p.networkPeers("nw"), q.networkPeers("nw")]);
      return views.every((v) => v.length === 2);
    }, 10_000);
    await p.ok("/createentry", { tname: "w", nid: "nw", key: "e1", value: "one", unsafe: true });
    await p.ok("/createentry", { tname: "w", nid: "nw", key: "e2", value: "two", unsafe: true });
    await p.ok("/createentry", { tname: "other", nid: "nw", key: "x", value: "not watched", unsafe: true });
    await waitUntil("q's mirror to hold e1 and e2", async () => (await q.get("/watchedtableentries", { tname: "w" })).startsWith("total elements: 2\n"), 10_000);
    const lines = (await q.get("/watchedtableentries", { tname: "w" })).split("\n").slice(1, -1);
    assert.deepEqual(lines.map((l) => l.replace(/^\d+\) /, "")).sort(), ["k:`e1` -> v:`one`", "k:`e2` -> v:`two`"]);

    await p.ok("/deleteentry", { tname: "w", nid: "nw", key: "e1" });
    await waitUntil("the delete to reach q's mirror", async () => (await q.get("/watchedtableentries", { tname: "w" })) === "total elements: 1\n0) k:`e2` -> v:`two`\n", 10_000);
    // q's own writes are not events to q.
    await q.ok("/createentry", { tname: "w", nid: "nw", key: "mine", value: "q", unsafe: true });
    await sleep(200);
    assert.equal(await q.get("/watchedtableentries", { tname: "w" }), "total elements: 1\n0) k:`e2` -> v:`two`\n");
  });

  it("reads a url-encoded POST body as the query, the body's value first (Go's r.Form)", async () => {
    const form = "application/x-www-form-urlencoded";
    assert.deepEqual(await send(p, "POST", "/createentry", `tname=t&nid=n1&key=posted&value=${encodeURIComponent(b64("by post"))}`, form), {
      status: 200,
      body: "OK",
    });
    assert.equal(await p.get("/getentry", { tname: "t", nid: "n1", key: "posted", unsafe: true }), "OK\n0) k:`posted` -> v:`by post` owner:``\n");
    // Parameters split between query and body; format options in the body.
    assert.deepEqual(await send(p, "POST", "/getentry?tname=t&nid=n1", "key=posted&unsafe&json", form), {
      status: 200,
      body: '{"message":"OK","details":{"key":"posted","value":"by post","owner":""}}',
    });
    // A name in both: the body's value wins.
    assert.equal((await send(p, "POST", "/getentry?tname=t&nid=n1&key=k1", "key=posted&unsafe", form)).body, "OK\n0) k:`posted` -> v:`by post` owner:``\n");
    // A body of another type is not a form.
    assert.equal((await send(p, "POST", "/getentry", "tname=t&nid=n1&key=posted", "text/plain")).body.split("\n")[0], "missing parameter");
    // POST with unsafe in the body.
    assert.equal((await send(p, "POST", "/updateentry", "tname=t&nid=n1&key=posted&value=a+b%26c&unsafe", form)).body, "OK");
    assert.equal((await tableOf(p, "t", "n1", true)).get("posted")?.value, "a b&c");
  });
});

// --- 2 and 4. a cluster of processes: propagation, kill -9, SIGTERM ------------

describe("networkdb-node: a cluster of processes", () => {
  let a: NodeProcess;
  let b: NodeProcess;
  let c: NodeProcess;
  let d: NodeProcess;
  let all: NodeProcess[];

  before(async () => {
    a = await launch("proc-a");
    // b and d join at start (--join); c is told to join over HTTP (/join?members=).
    [b, c, d] = await Promise.all([launch("proc-b", { join: [a.gossipAddr] }), launch("proc-c"), launch("proc-d", { join: [a.gossipAddr] })]);
    all = [a, b, c, d];
  });

  it("joins with --join and with /join?members=, and every node sees every other", async () => {
    assert.deepEqual(await c.clusterPeers(), ["proc-c"], "c alone before its /join");
    assert.equal(await c.get("/join", { members: a.gossipAddr }), "OK");
    await waitUntil("four nodes to see four", async () => (await Promise.all(all.map((n) => n.clusterPeers()))).every((v) => v.length === 4), 15_000);
    for (const n of all) assert.deepEqual(await sortedPeers(n), ["proc-a", "proc-b", "proc-c", "proc-d"], n.name);
    const r = await b.json<{ entries: { "-=name": string; ip: string }[] }>("/clusterpeers");
    assert.ok(r.details.entries.every((e) => e.ip === "127.0.0.1"));
    assert.match(await c.get("/join", { members: "127.0.0.1:1" }), /^FAIL\nError: \/join error in the DB join /, "a seed nobody listens on");
  });

  it("propagates create, update and delete to every node of the network", async () => {
    for (const n of all) await n.ok("/joinnetwork", { nid: "net" });
    await waitUntil("net to list four nodes everywhere", async () => (await Promise.all(all.map((n) => n.networkPeers("net")))).every((v) => v.length === 4), 15_000);

    // c follows the events it hears, to check their kinds and order.
    const heard: string[] = [];
    const stream = await c.events({ tname: "ep", nid: "net" }, (e) => heard.push(`${e.type} ${e.key} ${Buffer.from(e.value, "base64").toString()}`));
    // The same, sent in batches (cnm's ?batch=MS): the same events, in the same order.
    const heardInBatches: string[] = [];
    const batched = await c.events({ tname: "ep", nid: "net", batchMs: 100 }, (e) =>
      heardInBatches.push(`${e.type} ${e.key} ${Buffer.from(e.value, "base64").toString()}`),
    );
    try {
      await a.ok("/createentry", { tname: "ep", nid: "net", key: "ka", value: "from a", unsafe: true });
      await b.ok("/createentry", { tname: "ep", nid: "net", key: "kb", value: b64("from b") });
      await c.ok("/createentry", { tname: "ep", nid: "net", key: "kc", value: "from c", unsafe: true });
      await d.ok("/createentry", { tname: "ep", nid: "net", key: "kd", value: "from d", unsafe: true });
      const created = { ka: "from a@proc-a", kb: "from b@proc-b", kc: "from c@proc-c", kd: "from d@proc-d" };
      await waitUntil("the four creates everywhere", async () => {
        const views = await Promise.all(all.map((n) => summary(n, "ep", "net")));
        return views.every((v) => Object.keys(v).length === 4);
      }, 10_000);
      for (const n of all) assert.deepEqual(await summary(n, "ep", "net"), created, n.name);

      await a.ok("/updateentry", { tname: "ep", nid: "net", key: "ka", value: "a, updated", unsafe: true });
      // An update by another node takes the entry over.
      await d.ok("/updateentry", { tname: "ep", nid: "net", key: "kb", value: "b, taken by d", unsafe: true });
      await b.ok("/deleteentry", { tname: "ep", nid: "net", key: "kc" }); // not b's: deleting is allowed to any node
      const changed = { ka: "a, updated@proc-a", kb: "b, taken by d@proc-d", kd: "from d@proc-d" };
      const same = (x: Record<string, string>, y: Record<string, string>) =>
        JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
      await waitUntil("the changes everywhere", async () => (await Promise.all(all.map((n) => summary(n, "ep", "net")))).every((v) => same(v, changed)), 10_000);
      for (const n of all) assert.deepEqual(await summary(n, "ep", "net"), changed, n.name);

      await waitUntil("c to hear every change", () => heard.length >= 6, 5_000);
      const about = (key: string) => heard.filter((h) => h.split(" ")[1] === key);
      assert.deepEqual(about("ka"), ["create ka from a", "update ka a, updated"]);
      assert.deepEqual(about("kb"), ["create kb from b", "update kb b, taken by d"]);
      assert.deepEqual(about("kd"), ["create kd from d"]);
      // c's own create is not an event to c; b's delete of it is.
      assert.deepEqual(about("kc"), ["delete kc from c"]);
      await waitUntil("the batched stream to catch up", () => heardInBatches.length >= heard.length, 5_000);
      assert.deepEqual(heardInBatches, heard);
    } finally {
      stream.close();
      batched.close();
    }
  });

  it("brings existing entries to a node that joins the network later (bulk sync)", async () => {
    await Promise.all([a.ok("/joinnetwork", { nid: "late" }), b.ok("/joinnetwork", { nid: "late" })]);
    await waitUntil("late to list a and b", async () => (await a.networkPeers("late")).length === 2 && (await b.networkPeers("late")).length === 2, 10_000);
    const expected: Record<string, string> = {};
    for (let i = 0; i < 20; i++) {
      const owner = i % 2 === 0 ? a : b;
      await owner.ok("/createentry", { tname: "bulk", nid: "late", key: `k${i}`, value: `v${i}`, unsafe: true });
      expected[`k${i}`] = `v${i}@${owner.name}`;
    }
    await a.ok("/deleteentry", { tname: "bulk", nid: "late", key: "k0" });
    delete expected.k0;
    await waitUntil("a and b to agree", async () => (await tableOf(a, "bulk", "late")).size === 19 && (await tableOf(b, "bulk", "late")).size === 19, 10_000);

    // c was not in the network: it has heard nothing of it.
    assert.equal((await tableOf(c, "bulk", "late")).size, 0);
    await c.ok("/joinnetwork", { nid: "late" });
    await waitUntil("c to receive the 19 entries", async () => (await tableOf(c, "bulk", "late")).size === 19, 10_000);
    assert.deepEqual(await summary(c, "bulk", "late"), expected);
    assert.equal(await c.get("/getentry", { tname: "bulk", nid: "late", key: "k0" }).then((r) => r.split("\n")[0]), "FAIL", "nor the deleted one");
  });

  it("kill -9: the node's entries disappear everywhere and it leaves /clusterpeers", async (t) => {
    await c.ok("/createentry", { tname: "bulk", nid: "late", key: "from-c", value: "c", unsafe: true });
    await c.ok("/createentry", { tname: "ep", nid: "net", key: "kc2", value: "c again", unsafe: true });
    const survivors = [a, b, d];
    await waitUntil("c's entries everywhere", async () => {
      const [ab, bb, dn] = await Promise.all([tableOf(a, "bulk", "late"), tableOf(b, "bulk", "late"), tableOf(d, "ep", "net")]);
      return ab.has("from-c") && bb.has("from-c") && dn.has("kc2");
    }, 10_000);

    const killedAt = Date.now();
    await killNode(c);
    assert.equal(c.child.signalCode, "SIGKILL");
    let goneAt = 0;
    await waitUntil("the others to drop c and its entries", async () => {
      const views = await Promise.all(survivors.map(async (n) => ({
        peers: await n.clusterPeers(),
        ep: await tableOf(n, "ep", "net"),
        bulk: await tableOf(n, "bulk", "late"),
      })));
      const gone = views.every((v) => !v.peers.includes("proc-c") && ![...v.ep.values(), ...v.bulk.values()].some((r) => r.owner === "proc-c"));
      if (gone) goneAt = Date.now();
      return gone;
    }, 15_000, 100);
    t.diagnostic(`a kill -9 took ${goneAt - killedAt} ms to reach every survivor (default timings)`);

    for (const n of survivors) {
      assert.deepEqual(await sortedPeers(n), ["proc-a", "proc-b", "proc-d"], n.name);
      assert.deepEqual((await n.networkPeers("net")).sort(), ["proc-a", "proc-b", "proc-d"], n.name);
    }
    assert.equal((await tableOf(a, "bulk", "late")).size, 19, "only c's entry went");
    for (const n of survivors) assert.deepEqual(await states(n, "proc-c"), { memberlistState: "dead", networkdbState: "failed" }, n.name);
  });

  it("SIGTERM: the node leaves, and the others drop it as left (not dead) with its entries", async (t) => {
    // d owns kd and kb (taken over by update) in net.
    assert.deepEqual(
      [...(await tableOf(a, "ep", "net")).values()].filter((r) => r.owner === "proc-d").map((r) => r.key).sort(),
      ["kb", "kd"],
    );
    const stoppedAt = Date.now();
    await stopNode(d);
    assert.equal(d.child.exitCode, 0, "a graceful stop exits 0");
    const stopTook = Date.now() - stoppedAt;
    let goneAt = 0;
    await waitUntil("a and b to drop d and its entries", async () => {
      const views = await Promise.all([a, b].map(async (n) => ({ peers: await n.clusterPeers(), ep: await tableOf(n, "ep", "net") })));
      const gone = views.every((v) => !v.peers.includes("proc-d") && ![...v.ep.values()].some((r) => r.owner === "proc-d"));
      if (gone) goneAt = Date.now();
      return gone;
    }, 10_000, 50);
    t.diagnostic(`SIGTERM: the process exited after ${stopTook} ms; the others dropped it after ${goneAt - stoppedAt} ms`);
    // memberlist saw a leave (d declared itself dead), not a failure.
    const views = await Promise.all([a, b].map(async (n) => ({ node: n.name, peers: await sortedPeers(n), d: await states(n, "proc-d"), ep: await summary(n, "ep", "net") })));
    assert.deepEqual(views.map((v) => ({ ...v, d: v.d?.memberlistState })), ["proc-a", "proc-b"].map((node) => ({
      node,
      peers: ["proc-a", "proc-b"],
      d: "left",
      ep: { ka: "a, updated@proc-a" },
    })));
    // NetworkDB says "left" too, whichever came first: d's node LEAVE event or
    // memberlist's leave (Go's NetworkDB would call d failed in the second case).
    for (const v of views) assert.equal(v.d?.networkdbState, "left", v.node);
  });
});

// --- 3. encryption ----------------------------------------------------------

describe("networkdb-node: encryption (--key)", () => {
  const key = randomBytes(32);
  const otherKey = randomBytes(16);
  let ka: NodeProcess;
  let kb: NodeProcess;
  let other: NodeProcess;
  let plain: NodeProcess;

  before(async () => {
    [ka, other, plain] = await Promise.all([
      launch("enc-a", { keys: [key.toString("base64")] }),
      launch("enc-other", { keys: [otherKey.toString("base64")] }),
      launch("enc-plain"),
    ]);
    // Two --key flags: the first (the cluster's) encrypts, the second is only accepted.
    kb = await launch("enc-b", { keys: [key.toString("base64"), randomBytes(24).toString("base64")], join: [ka.gossipAddr] });
  });

  it("two nodes with the same key form a cluster and share entries", async () => {
    await waitUntil("enc-a and enc-b to see each other", async () => (await ka.clusterPeers()).length === 2 && (await kb.clusterPeers()).length === 2, 10_000);
    for (const n of [ka, kb, other, plain]) await n.ok("/joinnetwork", { nid: "sec" });
    await waitUntil("sec to list enc-a and enc-b", async () => (await ka.networkPeers("sec")).length === 2 && (await kb.networkPeers("sec")).length === 2, 10_000);
    await ka.ok("/createentry", { tname: "t", nid: "sec", key: "secret", value: "from a", unsafe: true });
    await kb.ok("/createentry", { tname: "t", nid: "sec", key: "secret-b", value: "from b", unsafe: true });
    await waitUntil("both entries on both", async () => (await tableOf(ka, "t", "sec")).size === 2 && (await tableOf(kb, "t", "sec")).size === 2, 10_000);
    assert.deepEqual(await summary(kb, "t", "sec"), { secret: "from a@enc-a", "secret-b": "from b@enc-b" });
  });

  it("a node with another key, or with none, cannot join", async () => {
    const refusedOther = await other.get("/join", { members: ka.gossipAddr });
    assert.match(refusedOther, /^FAIL\nError: \/join error in the DB join /);
    const refusedPlain = await plain.get("/join", { members: kb.gossipAddr });
    assert.match(refusedPlain, /^FAIL\nError: \/join error in the DB join /);
    // A node started with --join to a cluster whose key it lacks keeps running, alone.
    const late = await launch("enc-late", { join: [ka.gossipAddr], keys: [randomBytes(32).toString("base64")] });
    await sleep(2_000);
    for (const n of [ka, kb]) assert.deepEqual(await sortedPeers(n), ["enc-a", "enc-b"], n.name);
    for (const n of [other, plain, late]) assert.deepEqual(await n.clusterPeers(), [n.name], n.name);
    assert.equal(await late.get("/ready"), "OK\nOK");
  });

  it("nor inject entries, by gossip or by a forged datagram; the right key would have", async () => {
    // Outsiders write in the same network and table: nothing reaches the cluster.
    await other.ok("/createentry", { tname: "t", nid: "sec", key: "from-other", value: "x", unsafe: true });
    await plain.ok("/createentry", { tname: "t", nid: "sec", key: "from-plain", value: "x", unsafe: true });

    // A TABLE_EVENT claiming to come from enc-a, as one memberlist user datagram.
    const forge = (name: string) => {
      const event = tableEventBytes({ type: "create", ltime: 1_000_000, owner: "enc-a", nid: "sec", table: "t", key: name, value: Buffer.from("forged") });
      return Buffer.concat([Buffer.of(8), encodeCompound([event])]);
    };
    const sendDatagram = async (datagram: Uint8Array) => {
      const sock = createSocket("udp4");
      await new Promise<void>((resolve, reject) => sock.send(datagram, kb.port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));
      sock.close();
    };
    const decryptErrors = async () => ((await kb.diagnostics()) as { memberlist: { decryptErrors: number } }).memberlist.decryptErrors;
    const before = await decryptErrors();
    await sendDatagram(forge("forged-plain"));
    await sendDatagram(encryptPacket(new Keyring([otherKey]), forge("forged-other-key")));
    await waitUntil("enc-b to refuse both datagrams", async () => (await decryptErrors()) >= before + 2, 5_000);

    // The control: the same forgery under the cluster's key is taken, so the refusals above were the key's doing.
    await sendDatagram(encryptPacket(new Keyring([key]), forge("forged-right-key")));
    await waitUntil("the correctly keyed forgery to land on enc-b", async () => (await tableOf(kb, "t", "sec")).has("forged-right-key"), 5_000);

    await sleep(1_000); // room for anything else to arrive
    for (const n of [ka, kb]) {
      const keys = [...(await tableOf(n, "t", "sec")).keys()];
      for (const outsider of ["from-other", "from-plain", "forged-plain", "forged-other-key"]) assert.ok(!keys.includes(outsider), `${n.name} holds ${outsider}`);
    }
    assert.deepEqual([...(await tableOf(other, "t", "sec")).keys()], ["from-other"], "the outsider holds only its own");
  });
});

// --- 5. bad flags --------------------------------------------------------------

describe("networkdb-node: bad flags", () => {
  /** Run the binary with `args`; resolves to its exit code and output (it never starts a node when the flags are bad). */
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [NODE_BIN, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        resolve({ code, stdout, stderr });
      });
    });

  it("exit 2 with a message that names the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--key", "not*base64"], /^networkdb-node: --key: "not\*base64" is not standard base64 \(illegal base64 data at input byte 3\)$/],
      [["--key", b64("short")], /^networkdb-node: --key: a key must be 16, 24 or 32 bytes \(AES-128, -192, -256\), not 5$/],
      [["--key", "YWJjZGVmZ2hpamtsbW5vcA"], /^networkdb-node: --key: .* \(illegal base64 data at input byte 20\)$/], // 16 bytes, padding missing
      [["--port", "70000"], /^networkdb-node: --port: 70000 is not between 0 and 65535$/],
      [["--http-port", "port"], /^networkdb-node: --http-port: "port" is not a whole number$/],
      [["--bind-addr", "localhost"], /^networkdb-node: --bind-addr: "localhost" is not an IP address$/],
      [["--advertise-addr", "10.0.0"], /^networkdb-node: --advertise-addr: "10.0.0" is not an IP address$/],
      [["--probe-interval", "100", "--probe-timeout", "200"], /^networkdb-node: --probe-timeout must not exceed --probe-interval$/],
      [["--log-level", "loud"], /^networkdb-node: --log-level: "loud" is not one of error, warn, info, debug$/],
      [["--no-such-flag"], /^networkdb-node: Unknown option '--no-such-flag'/],
      [["stray"], /^networkdb-node: Unexpected argument 'stray'/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr.split("\n")[0]!, message, args.join(" "));
      assert.match(r.stderr, /\nUsage: networkdb-node \[OPTIONS\]/, "the usage follows");
      assert.equal(r.stdout, "", "nothing on stdout: no ready line");
    });
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: networkdb-node \[OPTIONS\]\n/);
    assert.match(r.stdout, /--key BASE64/);
  });
});
