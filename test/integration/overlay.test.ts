/**
 * The overlay driver across three "hosts" in one process (see overlay-hosts.ts):
 * traffic, the kernel entries gossip programs, MTU, leave and rejoin,
 * restart adoption, deletion.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError, InvalidParameterError, driverapi, type NetworkRecord } from "../../src/index.js";
import { decodePeerRecord, OverlayDriver, overlayNamespaceName } from "../../src/drivers/overlay/index.js";
import { NetlinkHandle, netns } from "../../src/linux/index.js";
import { canPing, inSandbox, plain } from "./helpers.js";
import { OverlayTestbed, waitFor, type OverlayHost as Host } from "./overlay-hosts.js";

const SUBNET = "10.207.0.0/24";

describe("overlay driver: VXLAN across hosts with gossiped peers", () => {
  const bed = new OverlayTestbed();
  const { cluster, pool, hosts } = bed;
  let net: Readonly<NetworkRecord>;
  const vni = () => Number(net.allocation["com.docker.network.driver.overlay.vxlanid_list"]);
  const overlayNs = (h: Host) => overlayNamespaceName(h.prefix, net.id);
  /** A handle in a host's overlay namespace, for the test to read what the driver programmed. */
  const inOverlay = <T>(h: Host, read: (nl: NetlinkHandle) => T): T => bed.inOverlay(h, net.id, read);
  const sandboxKey = (h: Host, name: string) => h.c.sandbox(name).sandbox.key;

  before(() => bed.start(["A", "B", "C"]));
  after(() => bed.close());

  it("refuses an overlay network before node discovery gave this host's address", async () => {
    const [a] = hosts;
    await assert.rejects(a!.c.createNetwork({ name: "ov", driver: "overlay", ipam: { config: [{ subnet: SUBNET }] } }), ForbiddenError);
    assert.deepEqual(a!.c.networks(), []);
  });

  it("sandboxes on different hosts ping each other", async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    await bed.discoverSelves();
    net = await a.c.createNetwork({ name: "ov", driver: "overlay", ipam: { config: [{ subnet: SUBNET }] } });
    assert.match(net.allocation["com.docker.network.driver.overlay.vxlanid_list"] ?? "", /^\d+$/);
    assert.ok(vni() >= 4096);
    for (const h of hosts.slice(1)) {
      await h.c.createNetwork({ id: net.id, name: "ov", driver: "overlay", ipam: { config: [{ subnet: SUBNET }] } });
    }
    for (const [i, h] of hosts.entries()) {
      await h.c.createSandbox({ name: `s${h.name}` });
      await h.c.connect("ov", `s${h.name}`, { ipv4Address: `10.207.0.${i + 2}` });
    }
    // Gossip is asynchronous: each host must first hear of the others' endpoints.
    const tunnelEntries = (h: Host) => inOverlay(h, (nl) => nl.fdbList({ link: `vx-${vni()}` }).filter((e) => e.self && e.dst).length);
    await waitFor("every host to program the two others", () => hosts.every((h) => tunnelEntries(h) === 2));
    assert.ok(await canPing(sandboxKey(a, "sA"), "10.207.0.3"), "A reaches B");
    assert.ok(await canPing(sandboxKey(b, "sB"), "10.207.0.4"), "B reaches C");
    assert.ok(await canPing(sandboxKey(c, "sC"), "10.207.0.2"), "C reaches A");
    for (const h of hosts) assert.deepEqual(h.peerErrors, []);
  });

  it("each host programs the others' endpoints, and only those, on its vxlan", () => {
    const macOf = (h: Host) => h.c.sandbox(`s${h.name}`).endpoints[0]!.endpoint.mac!;
    for (const h of hosts) {
      const vx = `vx-${vni()}`;
      const others = hosts.filter((o) => o !== h);
      inOverlay(h, (nl) => {
        const link = nl.linkGet(vx);
        assert.equal(link.vxlan?.vni, vni());
        assert.equal(link.vxlan?.local, h.underlayIp);
        assert.equal(link.vxlan?.port, 4789);
        assert.equal(link.vxlan?.learning, false);
        assert.equal(link.vxlan?.proxy, true);
        // The tunnel's socket stayed in the host namespace it was created from.
        assert.notEqual(link.linkNetnsId, undefined);
        assert.equal(link.mtu, 1450);
        const fdb = nl.fdbList({ link: vx }).filter((e) => e.dst !== undefined);
        assert.deepEqual(
          fdb.map((e) => [e.mac, e.dst, e.stateNames.includes("permanent")]).sort(),
          others.map((o) => [macOf(o), o.underlayIp, true]).sort(),
        );
        const neigh = nl.neighList({ link: vx, family: 4 });
        assert.deepEqual(
          neigh.map((n) => [n.ip, n.mac, n.stateNames.includes("permanent")]).sort(),
          others.map((o) => [plain(o.c.sandbox(`s${o.name}`).endpoints[0]!.endpoint.address), macOf(o), true]).sort(),
        );
      });
    }
  });

  it("a full-size packet crosses hosts unfragmented; one byte more does not leave", async () => {
    const [a] = hosts as [Host];
    // 1450 (the underlay's 1500 minus VXLAN's 50) = 1422 bytes of ICMP payload + 8 + 20.
    const fits = await inSandbox(sandboxKey(a, "sA"), ["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1422", "10.207.0.3"]);
    assert.equal(fits.code, 0, fits.stdout);
    const tooBig = await inSandbox(sandboxKey(a, "sA"), ["ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1423", "10.207.0.3"]);
    assert.notEqual(tooBig.code, 0);
  });

  it("a disconnect removes the endpoint's entries on the other hosts; a reconnect brings them back", async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    const macA = a.c.sandbox("sA").endpoints[0]!.endpoint.mac!;
    // The vxlan's own entries, not what the bridge learned of A's MAC on its vxlan port.
    const hasA = (h: Host) =>
      inOverlay(
        h,
        (nl) =>
          nl.fdbList({ link: `vx-${vni()}` }).some((e) => e.self && e.mac === macA) ||
          nl.neighList({ link: `vx-${vni()}` }).some((n) => n.ip === "10.207.0.2"),
      );
    await a.c.disconnect("ov", "sA");
    await waitFor("A's entries gone from B and C", () => !hasA(b) && !hasA(c));
    assert.equal(await canPing(sandboxKey(b, "sB"), "10.207.0.2"), false);
    assert.ok(await canPing(sandboxKey(b, "sB"), "10.207.0.4"), "B still reaches C");

    await a.c.connect("ov", "sA", { ipv4Address: "10.207.0.2" });
    await waitFor("A's entries back on B and C", () => hasA(b) && hasA(c));
    // Docker's overlay MAC: 02:42 and the address, the same again, so B's and C's ARP caches stay right.
    const newMac = a.c.sandbox("sA").endpoints[0]!.endpoint.mac!;
    assert.equal(newMac, "02:42:0a:cf:00:02");
    assert.equal(newMac, macA);
    await waitFor("B reaches A again", () => canPing(sandboxKey(b, "sB"), "10.207.0.2"));
    assert.ok(await canPing(sandboxKey(c, "sC"), "10.207.0.2"));
    assert.ok(inOverlay(b, (nl) => nl.neighList({ link: `vx-${vni()}` }).some((n) => n.ip === "10.207.0.2" && n.mac === newMac)));
  });

  it("a restarted driver adopts the namespace, tunnel and live veth without cutting traffic", async () => {
    const [a, b] = hosts as [Host, Host];
    const { endpoint } = b.c.sandbox("sB").endpoints[0]!;
    const key = sandboxKey(b, "sB");
    const indexes = () => inOverlay(b, (nl) => nl.linkList().map((l) => `${l.name}#${l.index}`).sort());
    const before = indexes();
    const restarted = new OverlayDriver({ prefix: b.prefix, host: b.handle, vxlanIds: pool });
    try {
      const grant = net.ipv4[0]!;
      await restarted.createNetwork(
        net.id,
        { name: "ov", enableIPv6: false, internal: false, attachable: false, driverOpts: { ...net.driverOpts, ...net.allocation }, labels: {} },
        { tableEventRegister: () => {} },
        [{ addressSpace: "global", pool: grant.pool, ...(grant.gateway ? { gateway: grant.gateway } : {}), auxAddresses: {} }],
        [],
      );
      const ifInfo = {
        macAddress: () => endpoint.mac,
        address: () => endpoint.address,
        addressIPv6: () => undefined,
        setMacAddress: () => assert.fail("the MAC is known"),
        setIPAddress: () => {},
        setIPv6Address: () => {},
      };
      await restarted.createEndpoint(net.id, endpoint.id, ifInfo, { portBindings: [], driverOpts: {} });
      const noJoin = { interfaceName: () => assert.fail("no join yet"), setGateway() {}, setGatewayIPv6() {}, addStaticRoute() {}, disableGatewayService() {}, addTableEntry() {} };
      // A restarted daemon that has not yet heard its own address cannot join, and touched nothing.
      await assert.rejects(restarted.join(net.id, endpoint.id, key, noJoin, { driverOpts: {}, restore: true }), /advertise address is not known/);
      assert.deepEqual(indexes(), before);
      await restarted.discoverNew({ type: driverapi.DiscoveryType.NodeDiscovery, data: { address: b.underlayIp, bindAddress: b.underlayIp, self: true } });
      const published: Uint8Array[] = [];
      let names: string[] = [];
      const jinfo = {
        interfaceName: () => ({ setNames: (src: string, dst: string) => void (names = [src, dst]) }),
        setGateway: () => assert.fail("overlay provides no gateway"),
        setGatewayIPv6: () => assert.fail("overlay provides no gateway"),
        addStaticRoute: () => {},
        disableGatewayService: () => {},
        addTableEntry: (_t: string, _k: string, v: Uint8Array) => void published.push(v),
      };
      await restarted.join(net.id, endpoint.id, key, jinfo, { driverOpts: {}, restore: true });
      // The peers the cluster replays after a restart are applied over the existing entries.
      const entryA = cluster.table(net.id, "overlay_peer_table").get(a.c.sandbox("sA").endpoints[0]!.endpoint.id)!;
      restarted.eventNotify(driverapi.EventType.Create, net.id, "overlay_peer_table", "a", entryA.value);
      assert.deepEqual(indexes(), before);
      assert.equal(names[1], "eth");
      assert.deepEqual(decodePeerRecord(published[0]!), { endpointIp: endpoint.address, endpointMac: endpoint.mac, tunnelEndpointIp: b.underlayIp });
      assert.ok(await canPing(key, "10.207.0.2"), "B still reaches A");
    } finally {
      restarted.close();
    }
    assert.ok(netns.exists(overlayNs(b)), "closing a driver leaves the namespace to the next run");
  });

  it("a malformed peer record is reported and changes nothing", async () => {
    const [, b] = hosts as [Host, Host];
    const before = inOverlay(b, (nl) => nl.fdbList({ link: `vx-${vni()}` }).length);
    b.driver.eventNotify(driverapi.EventType.Create, net.id, "overlay_peer_table", "junk", new Uint8Array([0x08, 0x05]));
    b.driver.eventNotify(driverapi.EventType.Create, net.id, "overlay_peer_table", "junk2", new TextEncoder().encode("not protobuf at all"));
    assert.equal(b.peerErrors.length, 2);
    b.peerErrors.length = 0;
    assert.equal(inOverlay(b, (nl) => nl.fdbList({ link: `vx-${vni()}` }).length), before);
  });

  it("chosen VNIs and MTU, and a second subnet with a tunnel of its own", async () => {
    const [a, b] = hosts as [Host, Host];
    const request = {
      name: "ov2",
      driver: "overlay",
      ipam: { config: [{ subnet: "10.208.0.0/24" }, { subnet: "10.208.1.0/24" }] },
      options: { "com.docker.network.driver.overlay.vxlanid_list": "5001,5002", "com.docker.network.driver.mtu": "1400" },
    };
    for (const bad of ["5001", "5001,x", "5001,16777216", "5001,5001"]) {
      await assert.rejects(
        a.c.createNetwork({ ...request, options: { "com.docker.network.driver.overlay.vxlanid_list": bad } }),
        InvalidParameterError,
        bad,
      );
    }
    const ov2 = await a.c.createNetwork(request);
    assert.equal(ov2.allocation["com.docker.network.driver.overlay.vxlanid_list"], "5001,5002");
    await b.c.createNetwork({ ...request, id: ov2.id });
    await a.c.connect("ov2", "sA", { ipv4Address: "10.208.1.2" });
    await b.c.connect("ov2", "sB", { ipv4Address: "10.208.1.3" });
    const ns = overlayNamespaceName(b.prefix, ov2.id);
    const nl = NetlinkHandle.open(netns.path(ns));
    try {
      await waitFor("B to program A on the second subnet's tunnel", () => nl.fdbList({ link: "vx-5002" }).some((e) => e.self && e.dst === a.underlayIp));
      assert.equal(nl.fdbList({ link: "vx-5001" }).filter((e) => e.self && e.dst).length, 0);
      assert.deepEqual([nl.linkGet("vx-5001").mtu, nl.linkGet("vx-5002").mtu, nl.linkGet("br-5002").mtu], [1400, 1400, 1400]);
      assert.deepEqual(nl.addrList({ family: 4 }).map((x) => x.cidr).filter((c) => !c.startsWith("127.")).sort(), ["10.208.0.1/24", "10.208.1.1/24"]);
    } finally {
      nl.close();
    }
    const full = await inSandbox(sandboxKey(b, "sB"), ["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1372", "10.208.1.2"]);
    assert.equal(full.code, 0, full.stdout);
    await a.c.disconnect("ov2", "sA");
    await b.c.disconnect("ov2", "sB");
    await a.c.deleteNetwork("ov2");
    await b.c.deleteNetwork("ov2");
    assert.equal(netns.exists(ns), false);
  });

  it("deleting the network on a host removes its overlay namespace", async () => {
    const [, , c] = hosts as [Host, Host, Host];
    assert.ok(netns.exists(overlayNs(c)));
    await c.c.deleteSandbox("sC");
    await c.c.deleteNetwork("ov");
    assert.equal(netns.exists(overlayNs(c)), false);
    assert.equal(c.handle.linkList().filter((l) => l.kind === "vxlan").length, 0);
  });
});
