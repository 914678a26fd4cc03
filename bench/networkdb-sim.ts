/**
 * NetworkDB at scale, in the deterministic simulator (virtual time, seeded):
 *
 *  - time for one entry to reach 99% and 100% of a network's nodes, in
 *    virtual ms and in gossip rounds (200 ms), with cnm's direct sends to
 *    every peer (default), with direct sends to 3 peers that each forward
 *    to 3 more (directFanout 3, forwardFanout 3), with gossip only
 *    (Docker's behaviour: directFanout 0), and with 10% datagram loss;
 *  - bytes sent per node per second (memberlist packets and streams, all
 *    of NetworkDB's and memberlist's traffic), idle and with one write a
 *    second;
 *  - false dead detections (live nodes declared failed) under 10% datagram
 *    loss over a long run.
 *
 * Full simulations (every node a real NetworkDB on memberlist) at 100 and
 * 1,000 nodes. 5,000 nodes do not fit: every node holds every other in its
 * memberlist table (25 million records) and forming the cluster takes
 * hundreds of millions of messages; for that size the propagation figures
 * come from a model of NetworkDB's dissemination rules (direct sends,
 * per-node transmit-limited gossip to 3 random peers, loss), which the run
 * validates against the full simulation at 100 and 1,000 nodes.
 *
 * Run: npm run bench -- networkdb-sim [--sizes=100,1000] [--model-sizes=100,1000,5000]
 *      [--dead-seconds=600] [--quick]
 * Ends with one JSON line.
 */
import { performance } from "node:perf_hooks";
import { NODE_TABLE, Simulator, lightMemberlist, type SimNode } from "../src/networkdb/index.js";
import { seededRandom } from "../src/networkdb/memberlist/index.js";

const GOSSIP_INTERVAL = 200;

interface Args {
  sizes: number[];
  modelSizes: number[];
  deadSeconds: Record<number, number>;
  trials: number;
}

function parseArgs(): Args {
  const get = (name: string): string | undefined =>
    process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = process.argv.includes("--quick");
  const list = (s: string | undefined, d: number[]): number[] => (s === undefined ? d : s.split(",").map(Number));
  const sizes = list(get("sizes"), quick ? [50] : [100, 1000]);
  const deadOverride = get("dead-seconds");
  const deadSeconds: Record<number, number> = {};
  for (const n of sizes) deadSeconds[n] = deadOverride !== undefined ? Number(deadOverride) : quick ? 30 : n <= 100 ? 1800 : 300;
  return {
    sizes,
    modelSizes: list(get("model-sizes"), quick ? [50, 500] : [100, 1000, 5000]),
    deadSeconds,
    trials: quick ? 2 : 5,
  };
}

const log = (msg: string): void => console.log(`[networkdb-sim] ${msg}`);
const wall = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s wall`;
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

interface Spread {
  /** Virtual ms until 99% / 100% of the network's nodes hold the entry (median over trials, and worst). */
  ms99: number;
  ms100: number;
  worst100: number;
}

interface FullFigures {
  n: number;
  formationVirtualS: number;
  formationWallS: number;
  direct: Spread;
  /** directFanout 3, forwardFanout 3. */
  few: Spread;
  gossipOnly: Spread;
  directLoss10: Spread;
  bytesPerNodeSIdle: number;
  bytesPerNodeSWrites: number;
  falseDead: number;
  falseDeadSeconds: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
};

/** Write one entry and step time until every node of the network has it. */
async function spreadOnce(sim: Simulator, writer: SimNode, key: string, maxMs: number): Promise<{ ms99: number; ms100: number }> {
  const members = sim.live();
  const need99 = Math.ceil(members.length * 0.99);
  const value = new TextEncoder().encode(key);
  writer.db.createEntry("t", "net1", key, value);
  const start = sim.clock.now();
  let ms99 = -1;
  for (;;) {
    const elapsed = sim.clock.now() - start;
    if (elapsed >= maxMs) return { ms99, ms100: -1 };
    await sim.run(elapsed < 20 ? 1 : elapsed < 400 ? 5 : 20);
    let have = 0;
    for (const m of members) if (m.db.getEntry("t", "net1", key) !== undefined) have++;
    const now = sim.clock.now() - start;
    if (ms99 < 0 && have >= need99) ms99 = now;
    if (have === members.length) return { ms99, ms100: now };
  }
}

async function spread(sim: Simulator, label: string, trials: number, rnd: () => number): Promise<Spread> {
  const r99: number[] = [];
  const r100: number[] = [];
  for (let i = 0; i < trials; i++) {
    const writer = sim.nodes[Math.floor(rnd() * sim.nodes.length)]!;
    const { ms99, ms100 } = await spreadOnce(sim, writer, `${label}-${i}`, 60_000);
    r99.push(ms99 < 0 ? Infinity : ms99);
    r100.push(ms100 < 0 ? Infinity : ms100);
    // Let the repair gossip of this entry die down before the next one.
    await sim.run(5_000);
  }
  return { ms99: median(r99), ms100: median(r100), worst100: Math.max(...r100) };
}

function bytesSent(sim: Simulator): number {
  let total = 0;
  for (const n of sim.nodes) {
    const s = n.db.memberlist.stats();
    total += s.packetBytesSent + s.streamBytesSent;
  }
  return total;
}

function setFanout(sim: Simulator, direct: number, forward: number): void {
  // The config object is live: the next write (and forward) uses the new fanouts.
  for (const n of sim.nodes) {
    n.db.config.directFanout = direct;
    n.db.config.forwardFanout = forward;
  }
}

async function full(n: number, args: Args): Promise<FullFigures> {
  const t0 = performance.now();
  log(`n=${n}: creating nodes`);
  const sim = await Simulator.create({ nodes: n, seed: 42, memberlist: lightMemberlist() });
  log(`n=${n}: forming the cluster, every node in net1 (${wall(t0)})`);
  const formed = await sim.formCluster({ networks: ["net1"], concurrency: 32 });
  const inNet = await sim.runUntil(() => sim.nodes.every((x) => x.db.networkSize("net1") === n), 600_000, 500);
  if (inNet < 0) throw new Error("net1 membership did not converge");
  await sim.run(20_000); // let the formation's gossip drain
  const formationVirtualS = (formed + inNet) / 1000;
  const formationWallS = (performance.now() - t0) / 1000;
  log(`n=${n}: formed in ${formationVirtualS.toFixed(1)} virtual s (${wall(t0)})`);

  const rnd = seededRandom(7);
  const direct = await spread(sim, "direct", args.trials, rnd);
  log(`n=${n}: direct: 99% in ${direct.ms99} ms, 100% in ${direct.ms100} ms (${wall(t0)})`);
  setFanout(sim, 3, 3);
  const few = await spread(sim, "few", args.trials, rnd);
  log(`n=${n}: direct to 3, each forwarding to 3: 99% in ${few.ms99} ms, 100% in ${few.ms100} ms (${wall(t0)})`);
  setFanout(sim, 0, 0);
  const gossipOnly = await spread(sim, "gossip", args.trials, rnd);
  setFanout(sim, Infinity, 0);
  log(`n=${n}: gossip only: 99% in ${gossipOnly.ms99} ms, 100% in ${gossipOnly.ms100} ms (${wall(t0)})`);
  sim.setLoss(0.1);
  const directLoss10 = await spread(sim, "loss", args.trials, rnd);
  sim.setLoss(0);
  log(`n=${n}: direct, 10% loss: 99% in ${directLoss10.ms99} ms, 100% in ${directLoss10.ms100} ms (${wall(t0)})`);

  const window = 20_000;
  let b0 = bytesSent(sim);
  await sim.run(window);
  const bytesPerNodeSIdle = (bytesSent(sim) - b0) / n / (window / 1000);
  b0 = bytesSent(sim);
  for (let s = 0; s < window / 1000; s++) {
    const writer = sim.nodes[Math.floor(rnd() * n)]!;
    writer.db.createEntry("t", "net1", `load-${s}`, new Uint8Array(64).fill(s));
    await sim.run(1000);
  }
  const bytesPerNodeSWrites = (bytesSent(sim) - b0) / n / (window / 1000);
  log(`n=${n}: bytes/node/s idle ${bytesPerNodeSIdle.toFixed(0)}, with 1 write/s ${bytesPerNodeSWrites.toFixed(0)} (${wall(t0)})`);

  let falseDead = 0;
  for (const node of sim.nodes) {
    node.db.watch(NODE_TABLE, undefined, (e) => {
      if (e.type === "delete") falseDead++;
    });
  }
  const seconds = args.deadSeconds[n] ?? 300;
  sim.setLoss(0.1);
  for (let done = 0; done < seconds; done += 60) {
    await sim.run(Math.min(60, seconds - done) * 1000);
    log(`n=${n}: 10% loss, ${Math.min(seconds, done + 60)}/${seconds} virtual s, false dead so far ${falseDead} (${wall(t0)})`);
  }
  sim.setLoss(0);
  await sim.shutdown();
  return {
    n,
    formationVirtualS,
    formationWallS,
    direct,
    few,
    gossipOnly,
    directLoss10,
    bytesPerNodeSIdle,
    bytesPerNodeSWrites,
    falseDead,
    falseDeadSeconds: seconds,
  };
}

// ---------------------------------------------------------------------- model

interface ModelOptions {
  n: number;
  loss: number;
  directFanout: number;
  seed: number;
  latency?: number;
}

/**
 * NetworkDB's dissemination rules without the protocol stack: the writer
 * sends the event to `directFanout` peers at once; every node that gets it
 * queues it with a budget of 4 * ceil(log10(n + 1)) transmissions; each
 * gossip round (every 200 ms, at a random phase per node) a node with a
 * queued event sends it to 3 random peers. Every datagram is lost with
 * probability `loss` and otherwise arrives after `latency` ms.
 */
function model(o: ModelOptions): { ms99: number; ms100: number } {
  const { n, loss } = o;
  const latency = o.latency ?? 1;
  const rnd = seededRandom(o.seed);
  const limit = 4 * Math.ceil(Math.log10(n + 1));
  const has = new Uint8Array(n);
  const budget = new Int32Array(n);
  const phase = Float64Array.from({ length: n }, () => rnd() * GOSSIP_INTERVAL);
  // Binary heap of [time, kind (0 delivery, 1 tick), node].
  const heap: [number, number, number][] = [];
  const push = (e: [number, number, number]): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]![0] <= e[0]) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = e;
  };
  const pop = (): [number, number, number] | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mt = last[0];
        if (l < heap.length && heap[l]![0] < mt) {
          m = l;
          mt = heap[l]![0];
        }
        if (r < heap.length && heap[r]![0] < mt) m = r;
        if (m === i) break;
        heap[i] = heap[m]!;
        i = m;
      }
      heap[i] = last;
    }
    return top;
  };
  const nextTick = (node: number, t: number): number => {
    const k = Math.floor((t - phase[node]!) / GOSSIP_INTERVAL) + 1;
    return phase[node]! + k * GOSSIP_INTERVAL;
  };
  const send = (t: number, to: number): void => {
    if (rnd() >= loss) push([t + latency, 0, to]);
  };
  let count = 0;
  let ms99 = -1;
  const receive = (t: number, node: number): void => {
    if (has[node] === 1) return;
    has[node] = 1;
    count++;
    if (ms99 < 0 && count >= Math.ceil(n * 0.99)) ms99 = t;
    budget[node] = limit;
    push([nextTick(node, t), 1, node]);
  };
  const writer = Math.floor(rnd() * n);
  receive(0, writer);
  const peers = Math.min(o.directFanout, n - 1);
  if (peers === n - 1) {
    for (let v = 0; v < n; v++) if (v !== writer) send(0, v);
  } else {
    for (let i = 0; i < peers; i++) send(0, (writer + 1 + Math.floor(rnd() * (n - 1))) % n);
  }
  for (;;) {
    const e = pop();
    if (e === undefined) return { ms99, ms100: -1 };
    const [t, kind, node] = e;
    if (kind === 0) {
      receive(t, node);
      if (count === n) return { ms99, ms100: t };
      continue;
    }
    if (budget[node]! <= 0) continue;
    budget[node]!--;
    const chosen = new Set<number>();
    while (chosen.size < Math.min(3, n - 1)) {
      const v = Math.floor(rnd() * n);
      if (v !== node) chosen.add(v);
    }
    for (const v of chosen) send(t, v);
    if (budget[node]! > 0) push([t + GOSSIP_INTERVAL, 1, node]);
  }
}

function modelSpread(n: number, loss: number, directFanout: number, trials: number): Spread {
  const r99: number[] = [];
  const r100: number[] = [];
  for (let i = 0; i < trials; i++) {
    const { ms99, ms100 } = model({ n, loss, directFanout, seed: 1000 + i });
    r99.push(ms99 < 0 ? Infinity : ms99);
    r100.push(ms100 < 0 ? Infinity : ms100);
  }
  return { ms99: median(r99), ms100: median(r100), worst100: Math.max(...r100) };
}

// ----------------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = parseArgs();
  const out: Record<string, number | string> = {};
  const rounds = (ms: number): number => round(ms / GOSSIP_INTERVAL);
  const record = (prefix: string, n: number, s: Spread): void => {
    out[`${prefix}ms_99pct_n${n}`] = round(s.ms99, 1);
    out[`${prefix}ms_100pct_n${n}`] = round(s.ms100, 1);
    out[`${prefix}rounds_99pct_n${n}`] = rounds(s.ms99);
    out[`${prefix}rounds_100pct_n${n}`] = rounds(s.ms100);
    out[`${prefix}rounds_100pct_worst_n${n}`] = rounds(s.worst100);
  };
  let falseDead = 0;
  for (const n of args.sizes) {
    const f = await full(n, args);
    record("", n, f.direct);
    record("fanout3_", n, f.few);
    record("gossip_only_", n, f.gossipOnly);
    record("loss10_", n, f.directLoss10);
    out[`bytes_per_node_s_n${n}`] = Math.round(f.bytesPerNodeSWrites);
    out[`bytes_per_node_s_idle_n${n}`] = Math.round(f.bytesPerNodeSIdle);
    out[`false_dead_10pct_loss_n${n}`] = f.falseDead;
    out[`false_dead_virtual_s_n${n}`] = f.falseDeadSeconds;
    out[`formation_virtual_s_n${n}`] = round(f.formationVirtualS, 1);
    out[`formation_wall_s_n${n}`] = round(f.formationWallS, 1);
    falseDead += f.falseDead;
  }
  out["false_dead_10pct_loss"] = falseDead;
  for (const n of args.modelSizes) {
    const t0 = performance.now();
    const trials = n >= 5000 ? 5 : 10;
    const direct = modelSpread(n, 0, Infinity, trials);
    const gossip = modelSpread(n, 0, 0, trials);
    const lossy = modelSpread(n, 0.1, Infinity, trials);
    record("model_", n, direct);
    record("model_gossip_only_", n, gossip);
    record("model_loss10_", n, lossy);
    log(
      `model n=${n}: direct 100% in ${round(direct.ms100, 1)} ms, gossip only 100% in ${round(gossip.ms100, 1)} ms ` +
        `(${rounds(gossip.ms100)} rounds), 10% loss 100% in ${round(lossy.ms100, 1)} ms (${wall(t0)})`,
    );
  }
  out["gossip_interval_ms"] = GOSSIP_INTERVAL;
  out["latency_ms"] = 1;
  console.log(JSON.stringify(out));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
