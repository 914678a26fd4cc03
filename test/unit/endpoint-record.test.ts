import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { decodeServiceRecord } from "../../src/controller/dns/service-table.js";
import { EndpointRecordSchema, PortConfig_Protocol } from "../../src/controller/dns/proto/gen/agent_pb.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ascii = (s: string): string => Buffer.from(s, "latin1").toString("hex");

describe("EndpointRecord through the generated code (dns/proto/agent.proto)", () => {
  // A swarm task's record with every field set, as gogoproto's Marshal lays it
  // out: fields in number order, one tag per repeated element, proto3 zero
  // values (the first port's TCP protocol, the second's empty name) left out.
  const record = create(EndpointRecordSchema, {
    name: "web.1",
    serviceName: "web",
    serviceId: "svc1",
    virtualIp: "10.0.0.2",
    endpointIp: "10.0.0.3",
    ingressPorts: [
      { name: "http", protocol: PortConfig_Protocol.TCP, targetPort: 80, publishedPort: 8080 },
      { name: "", protocol: PortConfig_Protocol.SCTP, targetPort: 5000, publishedPort: 30000 },
    ],
    aliases: ["web", "www"],
    taskAliases: ["t1"],
    serviceDisabled: true,
  });
  const wire = [
    "0a05" + ascii("web.1"), // 1 name
    "1203" + ascii("web"), // 2 service_name
    "1a04" + ascii("svc1"), // 3 service_id
    "2208" + ascii("10.0.0.2"), // 4 virtual_ip
    "2a08" + ascii("10.0.0.3"), // 5 endpoint_ip
    // 6 ingress_ports, 11 bytes: name "http" | target_port 80 | published_port 8080 (varint 90 3f)
    "320b" + "0a04" + ascii("http") + "1850" + "20903f",
    // 6 ingress_ports, 9 bytes: protocol SCTP (2) | target_port 5000 (88 27) | published_port 30000 (b0 ea 01)
    "3209" + "1002" + "188827" + "20b0ea01",
    "3a03" + ascii("web") + "3a03" + ascii("www"), // 7 aliases
    "4202" + ascii("t1"), // 8 task_aliases
    "4801", // 9 service_disabled
  ].join("");

  it("encodes byte for byte as gogoproto", () => {
    assert.equal(hex(toBinary(EndpointRecordSchema, record)), wire);
  });

  it("decodes those bytes back to the same message", () => {
    const decoded = fromBinary(EndpointRecordSchema, Buffer.from(wire, "hex"));
    assert.ok(equals(EndpointRecordSchema, decoded, record));
    assert.deepEqual(decoded.ingressPorts.map((p) => [p.name, p.protocol, p.targetPort, p.publishedPort]), [
      ["http", PortConfig_Protocol.TCP, 80, 8080],
      ["", PortConfig_Protocol.SCTP, 5000, 30000],
    ]);
    assert.equal(hex(toBinary(EndpointRecordSchema, decoded)), wire);
  });

  it("is read by the service table codec, service id included (so the caller can skip it)", () => {
    assert.deepEqual(decodeServiceRecord(Buffer.from(wire, "hex")), {
      name: "web.1",
      endpointIp: "10.0.0.3",
      taskAliases: ["t1"],
      serviceId: "svc1",
    });
  });

  it("refuses a nested PortConfig whose number arrives as a string", () => {
    const badPort = "3204" + "1a02" + ascii("80"); // target_port (3) as length-delimited
    assert.throws(() => decodeServiceRecord(Buffer.from(badPort, "hex")), /PortConfig field 3 has wire type 2, not varint/);
  });
});
