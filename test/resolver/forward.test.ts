// Forwarding of foreign names: to an upstream in a second namespace (reached
// from inside the sandbox over a veth pair) and to one on the host's
// loopback (fromHost), over UDP and TCP, with truncation, silence and
// failure of upstreams.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startResolver, type EmbeddedResolver, type ResolverOptions } from "../../src/resolver/index.js";
import { type ResolverTuning } from "../../src/resolver/resolver.js";
import { dig, makeNamespaces, replyTo, startUpstream, tableRecords, UPSTREAM_ADDR, type FakeUpstream, type TestNamespaces } from "./fixture.js";
import type { Answer } from "dns-packet";

const records = tableRecords({ web: { ipv4: ["172.30.0.2"], ipv6: [] } });
const FAST: Partial<ResolverTuning> = { udpTimeoutMs: 400, tcpTimeoutMs: 800 };

let ns: TestNamespaces;
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  ns = makeNamespaces(true);
});

after(async () => {
  try {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  } finally {
    ns?.cleanup();
  }
});

async function upstream(where: "ns" | "host", port: number, behaviour: Parameters<typeof startUpstream>[3]): Promise<FakeUpstream> {
  const u = where === "ns" ? await startUpstream(ns.upstreamPath!, UPSTREAM_ADDR, port, behaviour) : await startUpstream(null, "127.0.0.1", port, behaviour);
  cleanups.push(() => u.close());
  return u;
}

async function resolverWith(upstreams: ResolverOptions["upstreams"], errors: unknown[] = []): Promise<EmbeddedResolver> {
  const r = await startResolver({ namespace: ns.sandboxPath, records, upstreams, onError: (e) => errors.push(e) }, FAST);
  cleanups.push(() => r.close());
  return r;
}

const example = (name: string, ip: string): Answer => ({ name, type: "A", class: "IN", ttl: 42, data: ip });

test("UDP and TCP queries are forwarded, in kind, to an upstream inside the sandbox's network", async () => {
  const u = await upstream("ns", 53, (q) => replyTo(q, [example(q.questions![0]!.name, "192.0.2.7")]));
  const r = await resolverWith([{ address: UPSTREAM_ADDR }]);
  try {
    const udp = await dig(ns.sandbox, ["www.example.org", "A"]);
    assert.equal(udp.status, "NOERROR");
    assert.deepEqual(udp.answers, ["www.example.org. 42 IN A 192.0.2.7"]);
    assert.equal(u.udpQueries, 1);
    const tcp = await dig(ns.sandbox, ["+tcp", "other.example.org", "A"]);
    assert.deepEqual(tcp.answers, ["other.example.org. 42 IN A 192.0.2.7"]);
    assert.equal(u.tcpQueries, 1);
    assert.equal(u.udpQueries, 1, "a TCP query is not sent over UDP");
    // A cnm name never reaches the upstream.
    assert.deepEqual((await dig(ns.sandbox, ["web", "A"])).answers, ["web. 600 IN A 172.30.0.2"]);
    assert.equal(u.udpQueries + u.tcpQueries, 2);
  } finally {
    await r.close();
    await u.close();
  }
});

test("an upstream with fromHost is reached from the host's namespace", async () => {
  const u = await upstream("host", 0, (q) => replyTo(q, [example(q.questions![0]!.name, "192.0.2.8")]));
  // The sandbox has no route to the host's 127.0.0.1: only fromHost can work.
  const r = await resolverWith([{ address: "127.0.0.1", port: u.port, fromHost: true }]);
  try {
    assert.deepEqual((await dig(ns.sandbox, ["host.example", "A"])).answers, ["host.example. 42 IN A 192.0.2.8"]);
    assert.deepEqual((await dig(ns.sandbox, ["+tcp", "host.example", "A"])).answers, ["host.example. 42 IN A 192.0.2.8"]);
  } finally {
    await r.close();
    await u.close();
  }
});

test("a truncated UDP reply is asked again over TCP and the client gets the whole answer", async () => {
  const many = (name: string): Answer[] => Array.from({ length: 30 }, (_, i) => example(name, `192.0.2.${i + 1}`));
  const u = await upstream("ns", 53, (q, overTcp) =>
    overTcp ? replyTo(q, many(q.questions![0]!.name)) : replyTo(q, [], 1 << 9 /* TC */),
  );
  const r = await resolverWith([{ address: UPSTREAM_ADDR }]);
  try {
    // dig's EDNS buffer (1232) holds 30 A records: the answer arrives over UDP.
    const res = await dig(ns.sandbox, ["big.example", "A"]);
    assert.equal(res.answers.length, 30);
    assert.ok(!res.flags.includes("tc"));
    assert.equal(u.udpQueries, 1);
    assert.equal(u.tcpQueries, 1);
    // Without EDNS (512 bytes) it does not fit: TC, and dig retries over TCP itself.
    const small = await dig(ns.sandbox, ["+noedns", "big.example", "A"]);
    assert.equal(small.answers.length, 30);
    assert.match(small.output, /Truncated, retrying in TCP mode/);
  } finally {
    await r.close();
    await u.close();
  }
});

test("a silent upstream gives way to the next one; none answering gives SERVFAIL in bounded time", async () => {
  const silent = await upstream("ns", 53, () => undefined);
  const failing = await upstream("host", 0, (q) => replyTo(q, [], 0, 2 /* SERVFAIL */));
  const good = await upstream("host", 0, (q) => replyTo(q, [example(q.questions![0]!.name, "192.0.2.9")]));
  const errors: unknown[] = [];
  const r = await resolverWith(
    [
      { address: UPSTREAM_ADDR },
      { address: "127.0.0.1", port: failing.port, fromHost: true },
      { address: "127.0.0.1", port: good.port, fromHost: true },
    ],
    errors,
  );
  try {
    const res = await dig(ns.sandbox, ["retry.example", "A"]);
    assert.deepEqual(res.answers, ["retry.example. 42 IN A 192.0.2.9"]);
    assert.deepEqual([silent.udpQueries, failing.udpQueries, good.udpQueries], [1, 1, 1]);
    assert.ok(errors.length >= 1, "the silent upstream is reported");
  } finally {
    await r.close();
  }
  const r2 = await resolverWith([{ address: UPSTREAM_ADDR }, { address: "127.0.0.1", port: failing.port, fromHost: true }]);
  try {
    const started = Date.now();
    const res = await dig(ns.sandbox, ["gone.example", "A"]);
    const took = Date.now() - started;
    assert.equal(res.status, "SERVFAIL");
    assert.ok(took < 2000, `SERVFAIL after ${took} ms`);
    const tcp = await dig(ns.sandbox, ["+tcp", "gone.example", "A"]);
    assert.equal(tcp.status, "SERVFAIL");
  } finally {
    await r2.close();
  }
});

test("beyond maxConcurrent forwarded queries the resolver answers REFUSED and keeps serving", async () => {
  const silent = await upstream("ns", 5353, () => undefined);
  const r = await startResolver({ namespace: ns.sandboxPath, records, upstreams: [{ address: UPSTREAM_ADDR, port: silent.port }] }, { ...FAST, udpTimeoutMs: 1500, maxConcurrent: 2 });
  cleanups.push(() => r.close());
  try {
    const first = [dig(ns.sandbox, ["a.example"]), dig(ns.sandbox, ["b.example"])];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const third = await dig(ns.sandbox, ["c.example"]);
    assert.equal(third.status, "REFUSED");
    assert.deepEqual((await dig(ns.sandbox, ["web"])).answers, ["web. 600 IN A 172.30.0.2"]);
    assert.deepEqual((await Promise.all(first)).map((d) => d.status), ["SERVFAIL", "SERVFAIL"]);
  } finally {
    await r.close();
  }
});
