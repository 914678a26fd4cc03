// Robustness: malformed queries (crafted and random) over UDP and garbage
// over TCP never crash or stall the resolver; it answers FORMERR/NOTIMP
// where a header allows it, drops the rest and keeps answering dig.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket as UdpSocket } from "node:dgram";
import type { Socket } from "node:net";
import { randomBytes, randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";
import { udpSocketIn, tcpConnectFrom } from "../../src/linux/inet-socket.js";
import { startResolver, type EmbeddedResolver } from "../../src/resolver/index.js";
import { dig, makeNamespaces, tableRecords, type TestNamespaces } from "./fixture.js";

const records = tableRecords({ web: { ipv4: ["172.30.0.2"], ipv6: ["2001:db8::2"] } });

let ns: TestNamespaces;
let resolver: EmbeddedResolver;
let client: UdpSocket;
const replies: Buffer[] = [];
const errors: unknown[] = [];

before(async () => {
  ns = makeNamespaces(false);
  resolver = await startResolver(
    { namespace: ns.sandboxPath, records, upstreams: [], onError: (e) => errors.push(e) },
    { idleTimeoutMs: 400, maxConnections: 8 },
  );
  client = await udpSocketIn(ns.sandboxPath, 4, "127.0.0.1", 0);
  client.on("message", (m) => replies.push(m));
});

after(async () => {
  try {
    client?.close();
    await resolver?.close();
  } finally {
    ns?.cleanup();
  }
});

const valid = (name = "web", type: dnsPacket.RecordType = "A", id = 7): Buffer =>
  dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }] });

function send(packet: Buffer): void {
  client.send(packet, 53, "127.0.0.11");
}

/** Replies that arrive within `ms` after sending `packet`. */
async function exchange(packet: Buffer, ms = 150): Promise<Buffer[]> {
  replies.length = 0;
  send(packet);
  await new Promise((r) => setTimeout(r, ms));
  return replies.splice(0);
}

const rcodeOf = (reply: Buffer): number => reply[3]! & 0xf;

test("crafted malformed queries get FORMERR, NOTIMP or nothing, with the id kept", async () => {
  const base = valid("web", "A", 0x1234);
  const withCount = (offset: number, value: number): Buffer => {
    const p = Buffer.from(base);
    p.writeUInt16BE(value, offset);
    return p;
  };
  // Header only, too short for a question.
  let r = await exchange(base.subarray(0, 12));
  assert.equal(r.length, 1);
  assert.equal(rcodeOf(r[0]!), 1);
  assert.equal(r[0]!.readUInt16BE(0), 0x1234);
  // Shorter than a header: dropped.
  assert.deepEqual(await exchange(base.subarray(0, 11)), []);
  // A response (QR set): dropped, never answered (no reflection loops).
  assert.deepEqual(await exchange(withCount(2, 0x8100)), []);
  // Opcode STATUS (2): NOTIMP.
  r = await exchange(withCount(2, 0x1100));
  assert.equal(rcodeOf(r[0]!), 4);
  // Zero and two questions: FORMERR.
  assert.equal(rcodeOf((await exchange(withCount(4, 0)))[0]!), 1);
  assert.equal(rcodeOf((await exchange(withCount(4, 2)))[0]!), 1);
  // An answer count pointing past the end: FORMERR.
  assert.equal(rcodeOf((await exchange(withCount(6, 5)))[0]!), 1);
  // A compression pointer to itself (loop) and a forward pointer: FORMERR.
  const loop = Buffer.concat([base.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.equal(rcodeOf((await exchange(loop))[0]!), 1);
  const forward = Buffer.concat([base.subarray(0, 12), Buffer.from([0xc0, 20, 0, 1, 0, 1])]);
  assert.equal(rcodeOf((await exchange(forward))[0]!), 1);
  // A label of 64 bytes (reserved label type) and a name longer than 255.
  const huge = Buffer.concat([base.subarray(0, 12), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(rcodeOf((await exchange(huge))[0]!), 1);
  const labels = Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x62)])));
  const long = Buffer.concat([base.subarray(0, 12), labels, Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(rcodeOf((await exchange(long))[0]!), 1);
  // EDNS version 1: BADVERS (extended rcode 16: 0 in the header, 1 in OPT).
  const v1 = dnsPacket.encode({
    id: 9,
    type: "query",
    questions: [{ name: "web", type: "A", class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, options: [] } as unknown as dnsPacket.Answer],
  });
  r = await exchange(v1);
  const decoded = dnsPacket.decode(r[0]!);
  assert.equal(rcodeOf(r[0]!), 0);
  assert.equal((decoded.additionals?.[0] as { extendedRcode?: number }).extendedRcode, 1);
  // And the well-formed query still works.
  r = await exchange(base);
  assert.deepEqual(
    dnsPacket.decode(r[0]!).answers?.map((a) => (a as { data?: unknown }).data),
    ["172.30.0.2"],
  );
});

function mutate(packet: Buffer): Buffer {
  const p = Buffer.from(packet);
  switch (randomInt(6)) {
    case 0: // flip a few bytes
      for (let i = randomInt(1, 5); i > 0; i--) p[randomInt(p.length)] = randomInt(256);
      return p;
    case 1: // cut short
      return p.subarray(0, randomInt(p.length));
    case 2: // bogus section counts
      p.writeUInt16BE(randomInt(65536), 4 + 2 * randomInt(4));
      return p;
    case 3: // random flags (QR, opcodes, TC...)
      p.writeUInt16BE(randomInt(65536), 2);
      return p;
    case 4: // trailing garbage
      return Buffer.concat([p, randomBytes(randomInt(1, 64))]);
    default: // a compression pointer anywhere in the name
      p[12 + randomInt(Math.max(1, p.length - 16))] = 0xc0 | randomInt(64);
      return p;
  }
}

test("10,000 random and mutated packets over UDP: it keeps answering, during and after", async () => {
  const seeds = [valid("web", "A"), valid("WEB", "AAAA"), valid("2.0.30.172.in-addr.arpa", "PTR"), valid("foreign.example", "TXT")];
  const during = dig(ns.sandbox, ["+tries=3", "+time=1", "web", "A"]);
  for (let i = 0; i < 10_000; i++) {
    send(i % 3 === 0 ? randomBytes(randomInt(0, 600)) : mutate(seeds[i % seeds.length]!));
    // Let the loop breathe so the socket buffers do not simply overflow.
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual((await during).answers, ["web. 600 IN A 172.30.0.2"]);
  await new Promise((r) => setTimeout(r, 200));
  // Every reply it sent is a response (QR set) with a header.
  const sent = replies.splice(0);
  assert.ok(sent.length > 1000, `only ${sent.length} replies`);
  assert.ok(sent.every((m) => m.length >= 12 && (m[2]! & 0x80) !== 0));
  assert.deepEqual((await dig(ns.sandbox, ["web", "AAAA"])).answers, ["web. 600 IN AAAA 2001:db8::2"]);
});

function connect(): Promise<Socket> {
  const s = tcpConnectFrom(ns.sandboxPath, 4, "127.0.0.11", 53);
  s.on("error", () => {});
  return new Promise((resolve) => s.once("connect", () => resolve(s)));
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));

test("garbage over TCP: bad frames are answered or dropped, idle connections are closed, the cap holds", async () => {
  // Several queries on one connection, one of them garbage inside a frame.
  const s = await connect();
  const frames = [valid("web", "A", 1), randomBytes(40), valid("web", "AAAA", 2)];
  s.write(Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from([f.length >> 8, f.length & 255]), f]))));
  const got: Buffer[] = [];
  let buf = Buffer.alloc(0);
  s.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      got.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  await new Promise((r) => setTimeout(r, 200));
  const ids = got.map((m) => m.readUInt16BE(0));
  assert.ok(ids.includes(1) && ids.includes(2), `replies ${ids.join(",")}`);
  // Then nothing complete: the idle timeout closes it.
  s.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
  await closed(s);

  // Raw garbage on many connections at once, beyond the cap of 8.
  const many = await Promise.all(Array.from({ length: 12 }, () => connect()));
  for (const c of many) c.write(randomBytes(randomInt(1, 3000)));
  await Promise.all(many.map(closed));
  const r = await dig(ns.sandbox, ["+tcp", "web", "A"]);
  assert.deepEqual(r.answers, ["web. 600 IN A 172.30.0.2"]);
  assert.deepEqual((await dig(ns.sandbox, ["web", "A"])).answers, ["web. 600 IN A 172.30.0.2"]);
});
