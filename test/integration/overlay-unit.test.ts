import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConflictError, ExhaustedError, InvalidParameterError } from "../../src/errors.js";
import { decodePeerRecord, encodePeerRecord, MemoryIdPool, parseVxlanIdList } from "../../src/drivers/overlay/index.js";
import { knownNames, orphanNames } from "../../src/orphans.js";
import { Controller, createLinuxController, driverapi } from "../../src/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { netns } from "../../src/linux/index.js";
import { OverlayDriver, overlayDriverInit, overlayNamespaceName } from "../../src/drivers/overlay/index.js";
import { sweep, uniquePrefix } from "./helpers.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("overlay PeerRecord", () => {
  // What gogoproto's Marshal gives for PeerRecord{EndpointIP: "10.0.0.2/24",
  // EndpointMAC: "02:42:0a:00:00:02", TunnelEndpointIP: "192.168.1.10"}:
  // tag 0x0a (field 1, bytes) len 11, tag 0x12 (field 2) len 17, tag 0x1a (field 3) len 12.
  const record = { endpointIp: "10.0.0.2/24", endpointMac: "02:42:0a:00:00:02", tunnelEndpointIp: "192.168.1.10" };
  const wire =
    "0a0b" + Buffer.from("10.0.0.2/24").toString("hex") +
    "1211" + Buffer.from("02:42:0a:00:00:02").toString("hex") +
    "1a0c" + Buffer.from("192.168.1.10").toString("hex");

  it("encodes byte for byte as Docker's overlay driver", () => {
    assert.equal(hex(encodePeerRecord(record)), wire);
    assert.equal(wire.slice(0, 8), "0a0b3130");
  });

  it("decodes Docker's bytes, skipping unknown fields, and leaves absent fields empty", () => {
    assert.deepEqual(decodePeerRecord(Buffer.from(wire, "hex")), record);
    // Field 9 varint 5 and field 10 bytes "x" in the middle are skipped.
    const withUnknown = Buffer.from("0a0b" + Buffer.from("10.0.0.2/24").toString("hex") + "4805" + "520178", "hex");
    assert.deepEqual(decodePeerRecord(withUnknown), { endpointIp: "10.0.0.2/24", endpointMac: "", tunnelEndpointIp: "" });
    assert.equal(hex(encodePeerRecord({ endpointIp: "", endpointMac: "", tunnelEndpointIp: "" })), "");
  });

  it("refuses bytes that are not a PeerRecord", () => {
    assert.throws(() => decodePeerRecord(Buffer.from("0805", "hex"))); // field 1 as a varint
    assert.throws(() => decodePeerRecord(Buffer.from("0a0b3130", "hex"))); // truncated string
  });
});

describe("vxlanid_list", () => {
  it("parses one id per IPv4 subnet", () => {
    assert.deepEqual(parseVxlanIdList("4097", 1), [4097]);
    assert.deepEqual(parseVxlanIdList("4097,4098", 2), [4097, 4098]);
    assert.deepEqual(parseVxlanIdList("1, 16777215", 2), [1, 16777215]);
  });

  it("refuses what is not a list of distinct VNIs, one per subnet", () => {
    for (const [value, count] of [
      ["0", 1],
      ["16777216", 1],
      ["-1", 1],
      ["0x10", 1],
      ["", 1],
      ["4097,", 1],
      ["4097,4097", 2],
      ["4097", 2],
      ["4097,4098", 1],
    ] as const) {
      assert.throws(() => parseVxlanIdList(value, count), InvalidParameterError, `"${value}" for ${count}`);
    }
  });
});

describe("MemoryIdPool", () => {
  it("starts at Docker's VXLAN range and hands an owner the same ids again", async () => {
    const pool = new MemoryIdPool();
    assert.deepEqual(await pool.reserve("n1", {}), [4096]);
    assert.deepEqual(await pool.reserve("n2", { count: 2 }), [4097, 4098]);
    assert.deepEqual(await pool.reserve("n2", { count: 2 }), [4097, 4098]);
    assert.deepEqual(await pool.reserve("n1", { wanted: [5000] }), [4096]);
  });

  it("reserves wanted ids, refusing those taken or out of range", async () => {
    const pool = new MemoryIdPool();
    assert.deepEqual(await pool.reserve("a", { wanted: [5000, 5001] }), [5000, 5001]);
    await assert.rejects(pool.reserve("b", { wanted: [5001] }), ConflictError);
    await assert.rejects(pool.reserve("b", { wanted: [100] }), InvalidParameterError);
    await assert.rejects(pool.reserve("b", { wanted: [2 ** 24] }), InvalidParameterError);
    // The failed attempts took nothing.
    assert.deepEqual(await pool.reserve("b", { wanted: [5002] }), [5002]);
  });

  it("releases, and is exhausted when the range is full", async () => {
    const pool = new MemoryIdPool(10, 12);
    assert.deepEqual(await pool.reserve("a", { count: 2 }), [10, 11]);
    await assert.rejects(pool.reserve("b", { count: 2 }), ExhaustedError);
    assert.deepEqual(await pool.reserve("b", {}), [12]);
    await assert.rejects(pool.reserve("c", {}), ExhaustedError);
    await pool.release("a");
    await pool.release("never-held");
    assert.deepEqual(await pool.reserve("c", { count: 2 }), [10, 11]);
    await assert.rejects(pool.reserve("d", { wanted: [12] }), ConflictError);
    await pool.release("b");
    assert.deepEqual(await pool.reserve("d", { wanted: [12] }), [12]);
  });
});

describe("overlay namespaces and the orphan sweep", () => {
  it("recognises <prefix>-ov-<12 hex> as the prefix's own and nothing similar", () => {
    const found = orphanNames("cnm", [], ["cnm-ov-0123456789ab", "cnm-ov-0123456789a", "cnm-ov-mine", "cnmx-ov-0123456789ab", "cnm-0123456789ab"]);
    assert.deepEqual(found.namespaces, ["cnm-ov-0123456789ab", "cnm-0123456789ab"]);
  });
});

describe("overlay namespaces and a restarted controller", () => {
  it("a controller starting removes its prefix's stray overlay namespaces", async () => {
    const prefix = uniquePrefix();
    try {
      const stray = overlayNamespaceName(prefix, "0123456789ab".repeat(5) + "cdef");
      netns.create(stray);
      const c = await createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}`, watchFirewall: false });
      assert.equal(netns.exists(stray), false);
      await c.destroyAll();
      await c.close();
    } finally {
      sweep(prefix);
    }
  });

  it("the namespaces of the controller's overlay networks are known, so the sweep keeps them", async () => {
    const prefix = uniquePrefix();
    const driver = new OverlayDriver({ prefix, vxlanIds: new MemoryIdPool() });
    const osl = new LinuxOsl();
    const c = await Controller.create({
      prefix,
      runDir: `/run/cnm-test/${prefix}`,
      osl,
      drivers: [overlayDriverInit(driver)],
      ipams: [{ name: "default", ipam: new DefaultIpam(), capability: { requiresMACAddress: false, requiresRequestReplay: false } }],
      resources: [osl, driver],
    });
    try {
      await driver.discoverNew({ type: driverapi.DiscoveryType.NodeDiscovery, data: { address: "127.0.0.1", bindAddress: "127.0.0.1", self: true } });
      const net = await c.createNetwork({ name: "ov", driver: "overlay", ipam: { config: [{ subnet: "10.209.0.0/24" }] } });
      assert.equal(net.allocation["com.docker.network.driver.overlay.vxlanid_list"], "4096");
      assert.ok(knownNames(prefix, c).namespaces.has(overlayNamespaceName(prefix, net.id)));
    } finally {
      await c.destroyAll();
      await c.close();
      sweep(prefix);
    }
  });
});
