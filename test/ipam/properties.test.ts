/**
 * Property-based tests of the default IPAM against simple models: random
 * interleavings of requests and releases, across pools of both families.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IpamError } from "../../src/ipamapi/errors.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import {
  type Prefix,
  familyWidth,
  formatIpValue,
  hostBits,
  makePrefix,
  parseIpValue,
  prefixContainsIp,
  prefixSize,
  prefixToString,
  prefixesOverlap,
} from "../../src/inet/index.js";
import { parseIpamCidr } from "../../src/ipam/cidr.js";

interface PoolSpec {
  pool: string;
  subPool?: string;
}

/** Small pools (so exhaustion and wrap-around happen) of both families, with and without ranges. */
const POOLS: PoolSpec[] = [
  { pool: "10.0.0.0/28" },
  { pool: "10.1.0.0/24", subPool: "10.1.0.64/29" },
  { pool: "10.2.0.0/31" },
  { pool: "fd00::/125" },
  { pool: "fd01::/64", subPool: "fd01::10/124" },
  // Larger than 2^53 addresses: the window starts at the range, preferred addresses may lie outside it.
  { pool: "fd02::/48", subPool: "fd02:0:0:7::/126" },
];

type Op =
  | { kind: "any"; pool: number; gateway: boolean }
  | { kind: "preferred"; pool: number; offset: bigint }
  | { kind: "release"; pool: number; pick: number }
  | { kind: "releaseFree"; pool: number; offset: bigint };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("any" as const), pool: fc.nat(POOLS.length - 1), gateway: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("preferred" as const),
      pool: fc.nat(POOLS.length - 1),
      // Low offsets (collide often), and anywhere in the pool.
      offset: fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: (1n << 80n) - 1n })),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("release" as const), pool: fc.nat(POOLS.length - 1), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("releaseFree" as const), pool: fc.nat(POOLS.length - 1), offset: fc.bigInt({ min: 0n, max: 20n }) }),
  },
);

interface Model {
  id: string;
  prefix: Prefix;
  range: Prefix;
  live: Set<string>;
}

function isReserved(p: Prefix, value: bigint): boolean {
  if (hostBits(p) < 2) return false;
  if (value === p.addr) return true;
  return p.family === 4 && value === p.addr + prefixSize(p) - 1n;
}

/** Addresses of the range that may be handed out: its size less the reserved addresses it holds. */
function rangeCapacity(m: Model): number {
  const first = m.range.addr;
  const last = first + prefixSize(m.range) - 1n;
  const reservedInRange = [m.prefix.addr, m.prefix.addr + prefixSize(m.prefix) - 1n]
    .filter((v, i, all) => all.indexOf(v) === i)
    .filter((v) => v >= first && v <= last && isReserved(m.prefix, v)).length;
  return Number(prefixSize(m.range)) - reservedInRange;
}

function bare(cidr: string): string {
  return cidr.slice(0, cidr.indexOf("/"));
}

function setup(ipam: DefaultIpam): Model[] {
  return POOLS.map((spec) => {
    const prefix = parseIpamCidr(spec.pool);
    const { poolId } = ipam.requestPool({ addressSpace: "LocalDefault", pool: spec.pool, v6: prefix.family === 6, ...(spec.subPool ? { subPool: spec.subPool } : {}) });
    return { id: poolId, prefix, range: spec.subPool ? parseIpamCidr(spec.subPool) : prefix, live: new Set<string>() };
  });
}

function expectCode(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => e instanceof IpamError && e.code === code);
}

/**
 * Apply one op to both the IPAM and the model, checking the IPAM against the
 * model. Returns what happened (address or error code), for comparisons.
 */
function step(ipam: DefaultIpam, models: Model[], op: Op): string {
  const m = models[op.pool]!;
  const inRange = [...m.live].filter((a) => {
    const ip = parseIpValue(a)!;
    return prefixContainsIp(m.range, ip);
  }).length;
  if (op.kind === "any") {
    const options = op.gateway ? { RequestAddressType: "com.docker.network.gateway" } : undefined;
    if (inRange === rangeCapacity(m)) {
      expectCode(() => ipam.requestAddress(m.id, undefined, options), "POOL_EXHAUSTED");
      return "POOL_EXHAUSTED";
    }
    const got = ipam.requestAddress(m.id, undefined, options).address;
    assert.ok(got.endsWith(`/${m.prefix.bits}`), got);
    const a = bare(got);
    const ip = parseIpValue(a)!;
    assert.ok(!m.live.has(a), `${a} handed out twice`);
    assert.ok(prefixContainsIp(m.range, ip), `${a} outside range ${prefixToString(m.range)}`);
    assert.ok(!isReserved(m.prefix, ip.value), `${a} is reserved`);
    m.live.add(a);
    assert.equal(ipam.getPoolInfo(m.id).allocated, m.live.size);
    return got;
  } else if (op.kind === "preferred") {
    const value = m.prefix.addr + (op.offset % prefixSize(m.prefix));
    const a = formatIpValue({ family: m.prefix.family, value });
    if (isReserved(m.prefix, value) || m.live.has(a)) {
      expectCode(() => ipam.requestAddress(m.id, a), "ADDRESS_IN_USE");
      return "ADDRESS_IN_USE";
    }
    assert.equal(ipam.requestAddress(m.id, a).address, `${a}/${m.prefix.bits}`);
    m.live.add(a);
  } else if (op.kind === "release") {
    if (m.live.size === 0) return "nothing to release";
    const a = [...m.live][op.pick % m.live.size]!;
    ipam.releaseAddress(m.id, a);
    m.live.delete(a);
  } else {
    const value = m.prefix.addr + (op.offset % prefixSize(m.prefix));
    const a = formatIpValue({ family: m.prefix.family, value });
    if (m.live.has(a)) return "skipped";
    ipam.releaseAddress(m.id, a); // not allocated: a no-op
  }
  assert.equal(ipam.getPoolInfo(m.id).allocated, m.live.size);
  return "ok";
}

describe("default IPAM properties", () => {
  it("never hands out an address twice, whatever the interleaving of requests and releases", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 150 }), (ops) => {
        const ipam = new DefaultIpam();
        const models = setup(ipam);
        for (const op of ops) step(ipam, models, op);
        for (const m of models) for (const a of m.live) assert.ok(ipam.isAllocated(m.id, a));
      }),
      { numRuns: 300 },
    );
  });

  it("hands a released address out again once the cursor comes round", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.nat(POOLS.length - 1), fc.nat(), (ops, poolIndex, pick) => {
        const ipam = new DefaultIpam();
        const models = setup(ipam);
        for (const op of ops) step(ipam, models, op);
        const m = models[poolIndex]!;
        // Release one address of the range, then take addresses until the range is full.
        const inRange = [...m.live].filter((a) => {
          const ip = parseIpValue(a)!;
          return prefixContainsIp(m.range, ip);
        });
        fc.pre(inRange.length > 0);
        const released = inRange[pick % inRange.length]!;
        ipam.releaseAddress(m.id, released);
        const taken: string[] = [];
        for (;;) {
          try {
            taken.push(bare(ipam.requestAddress(m.id).address));
          } catch (e) {
            assert.ok(e instanceof IpamError && e.code === "POOL_EXHAUSTED");
            break;
          }
          assert.ok(taken.length <= rangeCapacity(m), "more addresses than the range holds");
        }
        assert.ok(taken.includes(released), `${released} never came back`);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps pools disjoint: user pools are refused exactly when they overlap, predefined ones pick the first free candidate", () => {
    const plans = [
      { base: "10.0.0.0/20", size: 24 },
      { base: "10.0.8.0/21", size: 22 }, // overlaps the first base on purpose
      { base: "fd00::/60", size: 62 },
    ];
    const candidates = (family: 4 | 6): Prefix[] =>
      plans.flatMap(({ base, size }) => {
        const b = parseIpamCidr(base);
        if (b.family !== family) return [];
        const step = 1n << BigInt(familyWidth(family) - size);
        return Array.from({ length: 2 ** (size - b.bits) }, (_, i) => makePrefix(family, b.addr + BigInt(i) * step, size));
      });
    type PoolOp = { kind: "user"; v6: boolean; offset: bigint; bits: number } | { kind: "predefined"; v6: boolean } | { kind: "release"; pick: number };
    const poolOp: fc.Arbitrary<PoolOp> = fc.oneof(
      fc.record({ kind: fc.constant("user" as const), v6: fc.boolean(), offset: fc.bigInt({ min: 0n, max: (1n << 70n) - 1n }), bits: fc.integer({ min: 0, max: 10 }) }),
      fc.record({ kind: fc.constant("predefined" as const), v6: fc.boolean() }),
      fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(poolOp, { maxLength: 60 }), (ops) => {
        const ipam = new DefaultIpam({ localPools: plans });
        const live: Array<{ id: string; prefix: Prefix }> = [];
        for (const op of ops) {
          if (op.kind === "release") {
            if (live.length === 0) continue;
            const [gone] = live.splice(op.pick % live.length, 1);
            ipam.releasePool(gone!.id);
          } else if (op.kind === "user") {
            // Prefixes of length /18../28 (v4) or /56../66 (v6) near the predefined bases.
            const family = op.v6 ? 6 : 4;
            const bits = (op.v6 ? 56 : 18) + op.bits;
            const base = op.v6 ? parseIpamCidr("fd00::/52").addr : parseIpamCidr("10.0.0.0/18").addr;
            const span = 1n << BigInt(familyWidth(family) - (op.v6 ? 52 : 18));
            const prefix = makePrefix(family, base + (op.offset % span), bits);
            const text = prefixToString(prefix);
            const clash = live.find((p) => prefixesOverlap(p.prefix, prefix));
            if (clash) {
              assert.throws(() => ipam.requestPool({ addressSpace: "LocalDefault", pool: text, v6: op.v6 }), {
                code: "POOL_OVERLAP",
                message: `pool ${text} overlaps with pool ${prefixToString(clash.prefix)} already allocated in address space LocalDefault`,
              });
            } else {
              const got = ipam.requestPool({ addressSpace: "LocalDefault", pool: text, v6: op.v6 });
              live.push({ id: got.poolId, prefix });
            }
          } else {
            const free = candidates(op.v6 ? 6 : 4).find((c) => !live.some((p) => prefixesOverlap(p.prefix, c)));
            if (free === undefined) {
              assert.throws(() => ipam.requestPool({ addressSpace: "LocalDefault", v6: op.v6 }), { code: "NO_MORE_POOLS" });
            } else {
              const got = ipam.requestPool({ addressSpace: "LocalDefault", v6: op.v6 });
              assert.equal(got.pool, prefixToString(free));
              live.push({ id: got.poolId, prefix: free });
            }
          }
          for (let i = 0; i < live.length; i++) {
            for (let j = i + 1; j < live.length; j++) assert.ok(!prefixesOverlap(live[i]!.prefix, live[j]!.prefix));
          }
          assert.equal(ipam.listPools().length, live.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips its state through JSON, and behaves the same afterwards", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), fc.array(opArb, { maxLength: 40 }), (before, after) => {
        const ipam = new DefaultIpam();
        const models = setup(ipam);
        for (const op of before) step(ipam, models, op);
        const text = JSON.stringify(ipam);
        const restored = DefaultIpam.fromJSON(JSON.parse(text));
        assert.deepEqual(restored.toJSON(), ipam.toJSON());
        // The same operations give the same answers on both.
        const clones = models.map((m) => ({ ...m, live: new Set(m.live) }));
        for (const op of after) assert.equal(step(restored, clones, op), step(ipam, models, op));
        assert.equal(JSON.stringify(restored), JSON.stringify(ipam));
      }),
      { numRuns: 200 },
    );
  });
});
