import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeServiceRecord, encodeServiceRecord } from "../../src/controller/dns/service-table.js";
import { ServiceRecords } from "../../src/controller/dns/service-records.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("name records on the gossip table (Docker's EndpointRecord)", () => {
  it("encodes a container's record as gogoproto does: name (1), endpoint_ip (5), task_aliases (8)", () => {
    const bytes = encodeServiceRecord({ name: "web", endpointIp: "10.0.0.2", taskAliases: ["db", "api"] });
    // 0a 03 "web" | 2a 08 "10.0.0.2" | 42 02 "db" | 42 03 "api"
    assert.equal(hex(bytes), "0a03776562" + "2a08" + Buffer.from("10.0.0.2").toString("hex") + "42026462" + "4203617069");
    assert.deepEqual(decodeServiceRecord(bytes), { name: "web", endpointIp: "10.0.0.2", taskAliases: ["db", "api"], serviceId: "" });
  });

  it("reads a swarm service's record, skipping the fields cnm does not use", () => {
    const utf8 = (s: string) => Buffer.from(s).toString("hex");
    const str = (tag: string, s: string) => tag + Buffer.from([s.length]).toString("hex") + utf8(s);
    const port = "0a00" + "1001" + "1850" + "20d23e"; // PortConfig { protocol UDP, target 80, published 8018 }
    const record =
      str("0a", "task.1") + str("12", "svc") + str("1a", "svcid") + str("22", "10.0.0.9") + str("2a", "10.0.0.3") +
      "32" + Buffer.from([port.length / 2]).toString("hex") + port + str("3a", "svc-alias") + str("42", "t1") + "4801";
    const decoded = decodeServiceRecord(Buffer.from(record, "hex"));
    assert.deepEqual(decoded, { name: "task.1", endpointIp: "10.0.0.3", taskAliases: ["t1"], serviceId: "svcid" });
  });

  it("refuses bytes where a string field has another wire type", () => {
    assert.throws(() => decodeServiceRecord(Buffer.from("0801", "hex")), /field 1 has wire type 0/);
  });
});

describe("ServiceRecords: names per network, both ways", () => {
  it("indexes names case-insensitively, keeps shared aliases in order, and forgets on delete", () => {
    const r = new ServiceRecords();
    r.set("n1", "e1", { names: ["Web", "api"], ipv4: "10.0.0.2", ipv6: "fd00::2" });
    r.set("n1", "e2", { names: ["web2", "API"], ipv4: "10.0.0.3" });
    r.set("n2", "e3", { names: ["web"], ipv4: "10.1.0.2" });
    assert.deepEqual(r.lookup("n1", "web")?.map((x) => x.ipv4), ["10.0.0.2"]);
    assert.deepEqual(r.lookup("n1", "api")?.map((x) => x.ipv4), ["10.0.0.2", "10.0.0.3"]);
    assert.equal(r.lookup("n1", "nope"), undefined);
    assert.deepEqual(r.reverse("n1", "fd00::2")?.names, ["web", "api"]);
    assert.deepEqual(r.lookup("n2", "web")?.map((x) => x.ipv4), ["10.1.0.2"], "another network's web is its own");
    r.delete("n1", "e1");
    assert.deepEqual(r.lookup("n1", "api")?.map((x) => x.ipv4), ["10.0.0.3"]);
    assert.equal(r.lookup("n1", "web"), undefined);
    assert.equal(r.reverse("n1", "10.0.0.2"), undefined);
    r.set("n1", "e2", { names: ["web2"], ipv4: "10.0.0.4" });
    assert.equal(r.lookup("n1", "api"), undefined, "a replaced record drops its old names");
    assert.equal(r.reverse("n1", "10.0.0.3"), undefined, "and its old address");
    r.dropNetwork("n1");
    assert.deepEqual(r.endpoints("n1"), []);
  });
});
