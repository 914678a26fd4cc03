import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_RANGE_END,
  DEFAULT_RANGE_START,
  PortAllocator,
  PortAlreadyAllocatedError,
  PortsExhaustedError,
  canonicalHostIP,
  type PortProtocol,
} from "../../src/portallocator/index.js";

describe("PortAllocator: fixed ports", () => {
  it("hands out a requested port once and names it when taken", () => {
    const pa = new PortAllocator();
    assert.equal(pa.requestPort("tcp", undefined, 8080), 8080);
    assert.throws(() => pa.requestPort("tcp", "0.0.0.0", 8080), {
      name: "PortAlreadyAllocatedError",
      message: "port 8080/tcp on 0.0.0.0 is already allocated",
    });
    // Other protocol, other family: independent.
    assert.equal(pa.requestPort("udp", undefined, 8080), 8080);
    assert.equal(pa.requestPort("tcp", "::", 8080), 8080);
  });

  it("treats the wildcard as conflicting with every address of its family, both ways", () => {
    const pa = new PortAllocator();
    pa.requestPort("tcp", "10.0.0.1", 80);
    assert.equal(pa.requestPort("tcp", "10.0.0.2", 80), 80, "two specific addresses do not conflict");
    assert.throws(() => pa.requestPort("tcp", "0.0.0.0", 80), PortAlreadyAllocatedError);
    assert.throws(() => pa.requestPort("tcp", "0.0.0.0", 80), /port 80\/tcp on 0\.0\.0\.0 is already allocated \(on 10\.0\.0\.[12]\)/);
    pa.requestPort("tcp", "0.0.0.0", 81);
    assert.throws(() => pa.requestPort("tcp", "10.0.0.9", 81), {
      message: "port 81/tcp on 10.0.0.9 is already allocated (on 0.0.0.0)",
    });
    pa.requestPort("udp", "2001:db8::1", 53);
    assert.throws(() => pa.requestPort("udp", "::", 53), /on :: is already allocated \(on 2001:db8::1\)/);
    assert.equal(pa.requestPort("udp", "0.0.0.0", 53), 53, "v6 allocations do not block v4");
  });

  it("releases, and only what was allocated", () => {
    const pa = new PortAllocator();
    pa.requestPort("tcp", "10.0.0.1", 80);
    assert.equal(pa.releasePort("tcp", "10.0.0.2", 80), false);
    assert.equal(pa.isTaken("tcp", "0.0.0.0", 80), true);
    assert.equal(pa.releasePort("tcp", "10.0.0.1", 80), true);
    assert.equal(pa.isTaken("tcp", "0.0.0.0", 80), false);
    assert.equal(pa.requestPort("tcp", "0.0.0.0", 80), 80);
  });

  it("canonicalises addresses so spellings of one address are one address", () => {
    const pa = new PortAllocator();
    pa.requestPort("tcp", "2001:DB8:0:0::1", 443);
    assert.throws(() => pa.requestPort("tcp", "2001:db8::1", 443), /already allocated/);
    assert.equal(canonicalHostIP("0:0:0:0:0:0:0:0"), "::");
    assert.equal(canonicalHostIP(""), "0.0.0.0");
    assert.throws(() => pa.requestPort("tcp", "10.0.0.256", 1), /invalid host address/);
    assert.throws(() => pa.requestPort("tcp", undefined, 65536), /not a port number/);
    assert.throws(() => pa.requestPort("icmp" as PortProtocol, undefined, 1), /unknown protocol/);
  });
});

describe("PortAllocator: ephemeral ports", () => {
  it("uses Docker's default range and a moving cursor", () => {
    const pa = new PortAllocator();
    assert.deepEqual([pa.rangeStart, pa.rangeEnd], [DEFAULT_RANGE_START, DEFAULT_RANGE_END]);
    assert.deepEqual([DEFAULT_RANGE_START, DEFAULT_RANGE_END], [49153, 60999]);
    const a = pa.requestPort("tcp");
    const b = pa.requestPort("tcp");
    assert.equal(a, 49153);
    assert.equal(b, 49154);
    pa.releasePort("tcp", undefined, a);
    assert.equal(pa.requestPort("tcp"), 49155, "a released port is not reused at once");
  });

  it("skips taken ports, wraps around and reports exhaustion", () => {
    const pa = new PortAllocator({ rangeStart: 5000, rangeEnd: 5003 });
    pa.requestPort("udp", "10.1.1.1", 5001); // blocks 5001 for the wildcard too
    assert.deepEqual([pa.requestPort("udp"), pa.requestPort("udp"), pa.requestPort("udp")], [5000, 5002, 5003]);
    assert.throws(() => pa.requestPort("udp"), PortsExhaustedError);
    assert.throws(() => pa.requestPort("udp"), { message: "all ports 5000-5003 are allocated for udp on 0.0.0.0" });
    pa.releasePort("udp", undefined, 5000);
    assert.equal(pa.requestPort("udp"), 5000, "wraps around to the freed port");
    assert.equal(pa.requestPort("udp", "::"), 5000, "v6 has its own ports");
  });
});

// ---- properties --------------------------------------------------------------

const IPS = ["0.0.0.0", "10.0.0.1", "10.0.0.2", "::", "fd00::1"];
const PROTOS: PortProtocol[] = ["tcp", "udp"];
const RANGE = { rangeStart: 7000, rangeEnd: 7007 };

type Op =
  | { kind: "fixed"; proto: PortProtocol; ip: string; port: number }
  | { kind: "ephemeral"; proto: PortProtocol; ip: string }
  | { kind: "release"; index: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("fixed" as const),
    proto: fc.constantFrom(...PROTOS),
    ip: fc.constantFrom(...IPS),
    port: fc.integer({ min: 6998, max: 7009 }),
  }),
  fc.record({ kind: fc.constant("ephemeral" as const), proto: fc.constantFrom(...PROTOS), ip: fc.constantFrom(...IPS) }),
  fc.record({ kind: fc.constant("release" as const), index: fc.nat() }),
);

interface Held {
  proto: PortProtocol;
  ip: string;
  port: number;
}

const family = (ip: string): number => (ip.includes(":") ? 6 : 4);
const isWildcard = (ip: string): boolean => ip === "0.0.0.0" || ip === "::";

/** The reference rule, written independently of the implementation. */
function conflicts(a: Held, b: Held): boolean {
  if (a.proto !== b.proto || a.port !== b.port || family(a.ip) !== family(b.ip)) return false;
  return a.ip === b.ip || isWildcard(a.ip) || isWildcard(b.ip);
}

/** Applies ops to an allocator, checking each outcome against the reference model. */
function run(pa: PortAllocator, held: Held[], ops: Op[]): void {
  for (const op of ops) {
    if (op.kind === "release") {
      if (held.length === 0) continue;
      const [h] = held.splice(op.index % held.length, 1);
      assert.equal(pa.releasePort(h!.proto, h!.ip, h!.port), true);
      continue;
    }
    if (op.kind === "fixed") {
      const want: Held = { proto: op.proto, ip: op.ip, port: op.port };
      const free = !held.some((h) => conflicts(h, want));
      if (free) {
        assert.equal(pa.requestPort(op.proto, op.ip, op.port), op.port);
        held.push(want);
      } else {
        assert.throws(() => pa.requestPort(op.proto, op.ip, op.port), PortAlreadyAllocatedError);
      }
      continue;
    }
    const anyFree = Array.from({ length: 8 }, (_, i) => 7000 + i).some(
      (port) => !held.some((h) => conflicts(h, { proto: op.proto, ip: op.ip, port })),
    );
    if (anyFree) {
      const port = pa.requestPort(op.proto, op.ip);
      const got: Held = { proto: op.proto, ip: op.ip, port };
      assert.ok(port >= 7000 && port <= 7007, `ephemeral ${port} in range`);
      assert.ok(!held.some((h) => conflicts(h, got)), `ephemeral ${port} was not handed out while taken`);
      held.push(got);
    } else {
      assert.throws(() => pa.requestPort(op.proto, op.ip), PortsExhaustedError);
    }
  }
  // The allocator's own view equals the model's.
  const key = (h: Held): string => `${h.proto}|${h.ip}|${h.port}`;
  assert.deepEqual(pa.allocations().map((a) => key({ proto: a.proto, ip: a.hostIP, port: a.port })).sort(), held.map(key).sort());
}

describe("PortAllocator: properties", () => {
  it("never hands out a port twice and detects every conflict", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        run(new PortAllocator(RANGE), [], ops);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips through JSON and behaves the same afterwards", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(opArb, { maxLength: 40 }), (before, after) => {
        const pa = new PortAllocator(RANGE);
        const held: Held[] = [];
        run(pa, held, before);
        const state = pa.toJSON();
        const copy = PortAllocator.fromJSON(JSON.parse(JSON.stringify(state)));
        assert.deepEqual(copy.toJSON(), state);
        // Same future: the same operations give the same ports on both.
        run(pa, [...held], after);
        run(copy, [...held], after);
        assert.deepEqual(copy.toJSON(), pa.toJSON());
      }),
      { numRuns: 200 },
    );
  });

  it("fromJSON refuses a state with conflicting allocations", () => {
    assert.throws(
      () =>
        PortAllocator.fromJSON({
          version: 1,
          rangeStart: 1000,
          rangeEnd: 2000,
          allocations: [
            { proto: "tcp", hostIP: "0.0.0.0", port: 80 },
            { proto: "tcp", hostIP: "10.0.0.1", port: 80 },
          ],
          cursors: [],
        }),
      /port 80\/tcp on 10\.0\.0\.1 is already allocated/,
    );
  });
});
