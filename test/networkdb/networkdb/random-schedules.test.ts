/**
 * Randomised schedules (seeded loops) in virtual time: nodes create, update
 * and delete their own entries while datagrams are lost and the network is
 * cut and healed, or nodes crash and come back. After the faults stop, every
 * live node must hold exactly the entries the model says (eventual
 * convergence), and no node may ever show again an entry whose deletion it
 * had applied (no resurrection).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../../src/networkdb/memberlist/index.js";
import type { SimNode } from "../../../src/networkdb/simulator.js";
import { cluster, dec, enc } from "./sim-helpers.js";

interface Truth {
  owner: string;
  value: string;
  deleted: boolean;
}

interface Schedule {
  seed: number;
  nodes: number;
  /** Virtual ms of random operations. */
  duration: number;
  loss: number;
  /**
   * Crashes and revivals, and cuts long enough to declare nodes dead;
   * without, cuts are shorter than failure detection and the resurrection
   * check runs throughout.
   */
  failures: boolean;
}

async function runSchedule(s: Schedule): Promise<void> {
  const sim = await cluster(s.nodes, { seed: s.seed, networks: ["net1"] });
  const rnd = seededRandom(s.seed * 101 + 3);
  const truth = new Map<string, Truth>();
  const liveKeys = new Map<string, string[]>(sim.nodes.map((n) => [n.name, []]));
  let counter = 0;
  const violations: string[] = [];
  // Per node, keys whose owner's delete it has applied (it held the tombstone).
  const seenDeleted = new Map<string, Set<string>>(sim.nodes.map((n) => [n.name, new Set()]));

  const check = (): void => {
    for (const n of sim.nodes) {
      if (n.crashed) continue;
      const seen = seenDeleted.get(n.name)!;
      for (const key of seen) {
        if (n.db.getEntry("t", "net1", key) !== undefined) violations.push(`${n.name} shows ${key} again`);
      }
      n.db.walkTable("t", (nid, key, _value, deleting) => {
        if (nid === "net1" && deleting && truth.get(key)?.deleted === true) seen.add(key);
      });
    }
  };

  const operate = (n: SimNode): void => {
    const mine = liveKeys.get(n.name)!;
    const r = rnd();
    if (mine.length === 0 || r < 0.4) {
      const key = `${n.name}-${counter++}`;
      const value = `v${counter}`;
      n.db.createEntry("t", "net1", key, enc(value));
      truth.set(key, { owner: n.name, value, deleted: false });
      mine.push(key);
    } else if (r < 0.75) {
      const key = mine[Math.floor(rnd() * mine.length)]!;
      const value = `u${counter++}`;
      n.db.updateEntry("t", "net1", key, enc(value));
      truth.get(key)!.value = value;
    } else {
      const i = Math.floor(rnd() * mine.length);
      const key = mine[i]!;
      mine.splice(i, 1);
      n.db.deleteEntry("t", "net1", key);
      truth.get(key)!.deleted = true;
    }
  };

  sim.setLoss(s.loss);
  const end = sim.clock.now() + s.duration;
  let cutUntil = 0;
  const crashed = new Set<SimNode>();
  while (sim.clock.now() < end) {
    // A few operations by random live nodes.
    for (let i = 0; i < 3; i++) {
      const live = sim.live();
      operate(live[Math.floor(rnd() * live.length)]!);
    }
    // Faults.
    const now = sim.clock.now();
    if (cutUntil > 0 && now >= cutUntil) {
      sim.heal();
      cutUntil = 0;
    } else if (cutUntil === 0 && rnd() < 0.05) {
      const side = sim.nodes.filter(() => rnd() < 0.4);
      sim.partition(side, sim.nodes.filter((n) => !side.includes(n)));
      cutUntil = now + (s.failures ? 15_000 + rnd() * 15_000 : 500 + rnd() * 2_000);
    }
    if (s.failures && rnd() < 0.03) {
      const candidates = sim.live();
      if (candidates.length > s.nodes / 2) {
        const victim = candidates[1 + Math.floor(rnd() * (candidates.length - 1))]!;
        sim.crash(victim);
        crashed.add(victim);
      }
    }
    if (s.failures && crashed.size > 0 && rnd() < 0.03) {
      const back = [...crashed][0]!;
      sim.revive(back);
      crashed.delete(back);
    }
    await sim.run(100 + Math.floor(rnd() * 400));
    if (!s.failures) check();
  }

  // Faults stop (crashed nodes stay down); everyone must agree with the model.
  sim.heal();
  sim.setLoss(0);
  const expected = (): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [key, t] of truth) {
      const owner = sim.nodes.find((n) => n.name === t.owner)!;
      if (!t.deleted && !owner.crashed) out.set(key, t.value);
    }
    return out;
  };
  const matches = (n: SimNode): boolean => {
    const want = expected();
    const have = n.db.getTableByNetwork("t", "net1");
    if (have.size !== want.size) return false;
    for (const [k, v] of want) if (dec(have.get(k)?.value) !== v) return false;
    return true;
  };
  const spent = await sim.runUntil(() => {
    if (!s.failures) check();
    return sim.live().every(matches);
  }, 240_000, 500);
  const stray = sim.live().filter((n) => !matches(n)).map((n) => n.name);
  assert.ok(spent >= 0, `seed ${s.seed}: no convergence after the faults stopped (${stray.join(", ")} differ)`);
  assert.deepEqual(violations, [], `seed ${s.seed}: resurrections`);
  assert.ok(truth.size > 20, "the schedule did something");
  await sim.shutdown();
}

describe("networkdb simulation: randomised schedules", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 10% loss and short cuts: converges, never resurrects a deleted entry`, async () => {
      await runSchedule({ seed, nodes: 12, duration: 30_000, loss: 0.1, failures: false });
    });
  }
  for (const seed of [11, 12]) {
    it(`seed ${seed}: crashes, revivals and long cuts: converges once they stop`, async () => {
      await runSchedule({ seed, nodes: 10, duration: 60_000, loss: 0.05, failures: true });
    });
  }
});


