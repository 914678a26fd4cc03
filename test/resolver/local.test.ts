// Local answers of the embedded resolver, asked by dig inside a namespace.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startResolver, type EmbeddedResolver } from "../../src/resolver/index.js";
import { dig, makeNamespaces, tableRecords, type TestNamespaces } from "./fixture.js";

const records = tableRecords(
  {
    web: { ipv4: ["172.30.0.2"], ipv6: ["2001:db8::2"] },
    "web.mynet": { ipv4: ["172.30.0.2"], ipv6: ["2001:db8::2"] },
    db: { ipv4: ["172.30.0.3"], ipv6: [] },
    v6only: { ipv4: [], ipv6: ["2001:db8::7"] },
    pool: { ipv4: ["172.30.0.10", "172.30.0.11", "172.30.0.12"], ipv6: [] },
  },
  { "172.30.0.2": ["web.mynet"], "2001:db8::2": ["web.mynet"], "172.30.0.3": ["db.mynet", "db-alias.mynet"] },
);

let ns: TestNamespaces;
let resolver: EmbeddedResolver;

before(async () => {
  ns = makeNamespaces(false);
  // No upstreams: anything forwarded comes back SERVFAIL, which tells a
  // local NOERROR apart from a forward.
  resolver = await startResolver({ namespace: ns.sandboxPath, records, upstreams: [] });
});

after(async () => {
  try {
    await resolver?.close();
  } finally {
    ns?.cleanup();
  }
});

test("A and AAAA records with Docker's TTL of 600, RA set, not authoritative", async () => {
  const a = await dig(ns.sandbox, ["web", "A"]);
  assert.equal(a.status, "NOERROR");
  assert.deepEqual(a.answers, ["web. 600 IN A 172.30.0.2"]);
  assert.ok(a.flags.includes("ra") && a.flags.includes("qr") && !a.flags.includes("aa"), a.flags.join(" "));
  const aaaa = await dig(ns.sandbox, ["web.mynet", "AAAA"]);
  assert.deepEqual(aaaa.answers, ["web.mynet. 600 IN AAAA 2001:db8::2"]);
});

test("names are matched without regard to case and trailing dot; the asker's case comes back", async () => {
  const upper = await dig(ns.sandbox, ["WeB.MyNeT.", "A"]);
  assert.deepEqual(upper.answers, ["WeB.MyNeT. 600 IN A 172.30.0.2"]);
  const noEdns = await dig(ns.sandbox, ["+noedns", "DB", "A"]);
  assert.deepEqual(noEdns.answers, ["DB. 600 IN A 172.30.0.3"]);
});

test("PTR for IPv4 and IPv6 gives one name, as Docker does", async () => {
  const v4 = await dig(ns.sandbox, ["-x", "172.30.0.2"]);
  assert.deepEqual(v4.answers, ["2.0.30.172.in-addr.arpa. 600 IN PTR web.mynet."]);
  const several = await dig(ns.sandbox, ["-x", "172.30.0.3"]);
  assert.deepEqual(several.answers, ["3.0.30.172.in-addr.arpa. 600 IN PTR db.mynet."]);
  const v6 = await dig(ns.sandbox, ["-x", "2001:db8::2"]);
  assert.equal(v6.answers.length, 1);
  assert.match(v6.answers[0]!, /^2\.(0\.){23}8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa\. 600 IN PTR web\.mynet\.$/);
  // An address cnm does not know is forwarded (here: SERVFAIL, no upstream).
  assert.equal((await dig(ns.sandbox, ["-x", "172.30.0.99"])).status, "SERVFAIL");
});

test("a cnm name without an address of the asked family: NOERROR and no answer, not forwarded", async () => {
  const noV6 = await dig(ns.sandbox, ["db", "AAAA"]);
  assert.equal(noV6.status, "NOERROR");
  assert.deepEqual(noV6.answers, []);
  const noV4 = await dig(ns.sandbox, ["v6only", "A"]);
  assert.equal(noV4.status, "NOERROR");
  assert.deepEqual(noV4.answers, []);
});

test("MX for a cnm name is NOERROR with no answer (implicit MX); other types are forwarded", async () => {
  const mx = await dig(ns.sandbox, ["web", "MX"]);
  assert.equal(mx.status, "NOERROR");
  assert.deepEqual(mx.answers, []);
  assert.equal((await dig(ns.sandbox, ["web", "TXT"])).status, "SERVFAIL");
  assert.equal((await dig(ns.sandbox, ["nothere.example", "A"])).status, "SERVFAIL");
});

test("several addresses come back in an order that rotates across queries", async () => {
  const orders: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await dig(ns.sandbox, ["pool", "A", "+short"]);
    orders.push(r.output.trim().split("\n").join(","));
  }
  assert.deepEqual(orders, [
    "172.30.0.10,172.30.0.11,172.30.0.12",
    "172.30.0.11,172.30.0.12,172.30.0.10",
    "172.30.0.12,172.30.0.10,172.30.0.11",
  ]);
});

test("the same answers over TCP", async () => {
  const r = await dig(ns.sandbox, ["+tcp", "web.mynet", "AAAA"]);
  assert.deepEqual(r.answers, ["web.mynet. 600 IN AAAA 2001:db8::2"]);
  const k = await dig(ns.sandbox, ["+tcp", "+keepopen", "web", "A", "db", "A"]);
  assert.deepEqual(k.answers, ["web. 600 IN A 172.30.0.2", "db. 600 IN A 172.30.0.3"]);
});

test("close() frees the sockets: a second resolver starts on the same namespace", async () => {
  await resolver.close();
  resolver = await startResolver({ namespace: ns.sandboxPath, records, upstreams: [] });
  assert.deepEqual((await dig(ns.sandbox, ["web", "A"])).answers, ["web. 600 IN A 172.30.0.2"]);
  await assert.rejects(
    startResolver({ namespace: ns.sandboxPath, records, upstreams: [] }),
    (err: Error & { code?: string }) => err.code === "EADDRINUSE",
  );
});
