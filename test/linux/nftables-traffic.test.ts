// The firewall on real kernel objects, judged by real traffic. A namespace H
// stands for the host (IP forwarding on, as the bridge driver would set it);
// the Firewall runs nft inside H. Layout:
//
//   bridge A 10.123.1.1/24 fd00:7b:1::1/64  masquerade, icc=false   c1 .2, c2 .3
//   bridge B 10.123.2.1/24                  no masquerade, icc      c3 .2, c5 .3
//   bridge I 10.123.3.1/24                  internal                c4 .2
//   link X   172.29.9.1/24 fd00:7b:9::1/64  <-> outside O 172.29.9.2 fd00:7b:9::2
//
// O has no route to the container subnets, so any reply reaching a container
// from O proves masquerading, and the peer address the O server prints shows it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Firewall, type FirewallNetwork, type PortMapping } from "../../src/linux/nftables/index.js";
import { Topology, run, uniquePrefix } from "./nftables-topology.js";

const prefix = uniquePrefix();
const topo = new Topology(prefix);
let fw: Firewall;
let H = "";
let O = "";
let c1 = "";
let c2 = "";
let c3 = "";
let c4 = "";
let c5 = "";

const netA: FirewallNetwork = {
  id: "A",
  bridge: `${prefix}a`,
  subnets: ["10.123.1.0/24", "fd00:7b:1::/64"],
  masquerade: true,
  icc: false,
  internal: false,
};
const netB: FirewallNetwork = { id: "B", bridge: `${prefix}b`, subnets: ["10.123.2.0/24"], masquerade: false, icc: true, internal: false };
const netI: FirewallNetwork = { id: "I", bridge: `${prefix}i`, subnets: ["10.123.3.0/24"], masquerade: true, icc: true, internal: true };

const SERVER_PORT = 7000;

// Published ports used by the last two suites.
const web: PortMapping = { networkId: "A", proto: "tcp", hostPort: 8080, containerIP: "10.123.1.2", containerPort: SERVER_PORT };
const dns: PortMapping = { networkId: "A", proto: "udp", hostPort: 8053, containerIP: "10.123.1.2", containerPort: SERVER_PORT };
const web6: PortMapping = { networkId: "A", proto: "tcp", hostPort: 8080, containerIP: "fd00:7b:1::2", containerPort: SERVER_PORT };
const bound: PortMapping = {
  networkId: "A",
  proto: "tcp",
  hostIP: "172.29.9.1",
  hostPort: 9090,
  containerIP: "10.123.1.2",
  containerPort: SERVER_PORT,
};


before(async () => {
  H = topo.addNamespace("h");
  topo.sysctl(H, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
  O = topo.addNamespace("o");
  topo.addLink(H, "x", O, ["172.29.9.1/24", "fd00:7b:9::1/64"], ["172.29.9.2/24", "fd00:7b:9::2/64"]);
  const a = topo.addBridge(H, "a", ["10.123.1.1/24", "fd00:7b:1::1/64"]);
  const b = topo.addBridge(H, "b", ["10.123.2.1/24"]);
  const i = topo.addBridge(H, "i", ["10.123.3.1/24"]);
  // The driver's job for 127.0.0.1 published ports; done here by hand.
  topo.sysctl(H, `net.ipv4.conf.${a}.route_localnet=1`);
  const att1 = topo.addContainer(H, a, "c1", ["10.123.1.2/24", "fd00:7b:1::2/64"], ["10.123.1.1", "fd00:7b:1::1"]);
  c1 = att1.ns;
  // Also the driver's job: with br_netfilter, a container reaching its OWN
  // published port is bridged back out of the port it came in on, which a
  // bridge only does with hairpin mode on that port (Docker sets it too).
  run("ip", "-n", H, "link", "set", att1.hostIf, "type", "bridge_slave", "hairpin", "on");
  c2 = topo.addContainer(H, a, "c2", ["10.123.1.3/24", "fd00:7b:1::3/64"], ["10.123.1.1", "fd00:7b:1::1"]).ns;
  c3 = topo.addContainer(H, b, "c3", ["10.123.2.2/24"], ["10.123.2.1"]).ns;
  c5 = topo.addContainer(H, b, "c5", ["10.123.2.3/24"], ["10.123.2.1"]).ns;
  c4 = topo.addContainer(H, i, "c4", ["10.123.3.2/24"], ["10.123.3.1"]).ns;
  await Promise.all([O, H, c1, c2, c3, c4, c5].map((ns) => topo.serve(ns, SERVER_PORT)));
  fw = new Firewall({ prefix, netns: H });
  await fw.init({ networks: [netA, netB, netI], portMappings: [] });
});

after(async () => {
  await fw?.removeAll().catch(() => {});
  await topo.destroy();
});

describe("nftables firewall: masquerade, isolation, internal, icc", () => {
  it("masquerades a masquerade network's traffic leaving through another interface (v4 and v6)", async () => {
    assert.equal(await topo.probe(c1, "tcp", "172.29.9.2", SERVER_PORT), "172.29.9.1");
    // The first packets through a fresh topology wait for neighbour discovery: give them time.
    assert.equal(await topo.probe(c1, "udp", "172.29.9.2", SERVER_PORT, 3000), "172.29.9.1");
    assert.equal(await topo.probe(c1, "tcp", "fd00:7b:9::2", SERVER_PORT, 3000), "fd00:7b:9::1");
  });

  it("does not masquerade a network with masquerade=false (O cannot answer it)", async () => {
    assert.equal(await topo.probe(c3, "tcp", "172.29.9.2", SERVER_PORT), null);
  });

  it("does not masquerade towards the host itself (the gateway sees the container)", async () => {
    assert.equal(await topo.probe(c1, "tcp", "10.123.1.1", SERVER_PORT), "10.123.1.2");
  });

  it("isolates different bridges from each other, both ways, and only while declared", async () => {
    assert.equal(await topo.probe(c1, "tcp", "10.123.2.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c3, "tcp", "10.123.1.2", SERVER_PORT), null);
    // Proof that the drop is the firewall's and not a routing problem.
    await fw.removeNetwork("B");
    try {
      assert.equal(await topo.probe(c3, "tcp", "10.123.1.2", SERVER_PORT), "10.123.2.2");
    } finally {
      await fw.addNetwork(netB);
    }
    assert.equal(await topo.probe(c3, "tcp", "10.123.1.2", SERVER_PORT), null);
  });

  it("keeps an internal network inside its bridge, but lets it reach its gateway", async () => {
    assert.equal(await topo.probe(c4, "tcp", "172.29.9.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c4, "tcp", "10.123.1.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c4, "tcp", "10.123.3.1", SERVER_PORT), "10.123.3.2");
  });

  it("icc=false blocks container-to-container on the same bridge (v4 and v6), not container-to-gateway", async () => {
    assert.equal(await topo.probe(c1, "tcp", "10.123.1.3", SERVER_PORT), null);
    assert.equal(await topo.probe(c2, "udp", "10.123.1.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c1, "tcp", "fd00:7b:1::3", SERVER_PORT), null);
    assert.equal(await topo.probe(c1, "tcp", "10.123.1.1", SERVER_PORT), "10.123.1.2");
    // icc=true on B: its containers talk directly.
    assert.equal(await topo.probe(c3, "tcp", "10.123.2.3", SERVER_PORT), "10.123.2.2");
  });

  it("icc=false also blocks the routed detour through the gateway", async () => {
    // Both send to the gateway's MAC with the other's address: the host
    // routes each packet back onto the bridge (no frame is bridged directly).
    run("ip", "-n", c2, "route", "add", "10.123.1.2/32", "via", "10.123.1.1");
    run("ip", "-n", c1, "route", "add", "10.123.1.3/32", "via", "10.123.1.1");
    try {
      assert.equal(await topo.probe(c2, "tcp", "10.123.1.2", SERVER_PORT), null);
      assert.equal(await topo.probe(c3, "tcp", "10.123.2.3", SERVER_PORT), "10.123.2.2", "B still fine");
    } finally {
      run("ip", "-n", c2, "route", "del", "10.123.1.2/32");
      run("ip", "-n", c1, "route", "del", "10.123.1.3/32");
    }
  });
});

describe("nftables firewall: published ports", () => {
  before(async () => {
    await fw.addPortMappings([web, dns, web6, bound]);
  });

  it("reaches the container from outside through the host address, TCP and UDP, v4 and v6", async () => {
    assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 8080), "172.29.9.2");
    assert.equal(await topo.probe(O, "udp", "172.29.9.1", 8053), "172.29.9.2");
    assert.equal(await topo.probe(O, "tcp", "fd00:7b:9::1", 8080), "fd00:7b:9::2");
  });

  it("reaches the container from the host itself, through its address and 127.0.0.1", async () => {
    assert.ok(await topo.probe(H, "tcp", "172.29.9.1", 8080));
    assert.ok(await topo.probe(H, "udp", "172.29.9.1", 8053));
    // Loopback source is masqueraded to the bridge address on the way out.
    assert.equal(await topo.probe(H, "tcp", "127.0.0.1", 8080), "10.123.1.1");
    assert.equal(await topo.probe(H, "udp", "127.0.0.1", 8053), "10.123.1.1");
  });

  it("hairpins from a container on the same bridge, even with icc=false", async () => {
    assert.equal(await topo.probe(c2, "tcp", "172.29.9.1", 8080), "10.123.1.1");
    assert.equal(await topo.probe(c2, "udp", "172.29.9.1", 8053), "10.123.1.1");
    assert.equal(await topo.probe(c1, "tcp", "172.29.9.1", 8080), "10.123.1.1", "a container reaches its own published port");
    assert.equal(await topo.probe(c2, "tcp", "fd00:7b:9::1", 8080), "fd00:7b:1::1", "v6 hairpin");
  });

  it("is reachable from a container on another (isolated) network through the host address", async () => {
    assert.ok(await topo.probe(c3, "tcp", "172.29.9.1", 8080));
    assert.ok(await topo.probe(c3, "tcp", "10.123.2.1", 8080), "via its own gateway address too");
  });

  it("binds a mapping with a host address to that address only", async () => {
    assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 9090), "172.29.9.2");
    assert.equal(await topo.probe(H, "tcp", "127.0.0.1", 9090), null);
  });

  it("stops forwarding once the mapping is removed, and forwards again when re-added", async () => {
    await fw.removePortMappings([web]);
    assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 8080), null);
    assert.equal(await topo.probe(O, "udp", "172.29.9.1", 8053), "172.29.9.2", "the other mappings stay");
    await fw.addPortMappings([web]);
    assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 8080), "172.29.9.2");
  });

  it("uses the network's hostBindingIPv4 for mappings without a host address", async () => {
    const netH: FirewallNetwork = { ...netA, id: "A2", bridge: `${prefix}a2`, subnets: ["10.123.4.0/24"], hostBindingIPv4: "127.0.0.1" };
    await fw.addNetwork(netH);
    try {
      // Same bridge/containers are not needed: the DNAT target is c1 either way.
      await fw.addPortMappings([{ networkId: "A2", proto: "tcp", hostPort: 8181, containerIP: "10.123.1.2", containerPort: SERVER_PORT }]);
      assert.ok(await topo.probe(H, "tcp", "127.0.0.1", 8181), "bound to 127.0.0.1");
      assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 8181), null, "not on the other addresses");
    } finally {
      await fw.removeNetwork("A2");
    }
    assert.equal(await topo.probe(H, "tcp", "127.0.0.1", 8181), null, "removing the network removed its mapping");
  });
});

describe("nftables firewall: without br_netfilter", () => {
  before(async () => {
    topo.sysctl(H, "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0");
    await fw.addPortMappings([web]); // a no-op if still published
  });
  after(() => {
    topo.sysctl(H, "net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1");
  });

  it("icc=false still blocks container-to-container (bridge table), and published ports still hairpin", async () => {
    assert.equal(await topo.probe(c1, "tcp", "10.123.1.3", SERVER_PORT), null);
    assert.equal(await topo.probe(c1, "tcp", "fd00:7b:1::3", SERVER_PORT), null);
    assert.equal(await topo.probe(c1, "tcp", "10.123.1.1", SERVER_PORT), "10.123.1.2");
    assert.equal(await topo.probe(c3, "tcp", "10.123.2.3", SERVER_PORT), "10.123.2.2");
    assert.equal(await topo.probe(c2, "tcp", "172.29.9.1", 8080), "10.123.1.1");
    assert.equal(await topo.probe(c1, "tcp", "172.29.9.1", 8080), "10.123.1.1");
  });

  it("isolation, internal and masquerade do not depend on it", async () => {
    assert.equal(await topo.probe(c1, "tcp", "10.123.2.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c4, "tcp", "172.29.9.2", SERVER_PORT), null);
    assert.equal(await topo.probe(c1, "tcp", "172.29.9.2", SERVER_PORT), "172.29.9.1");
    assert.equal(await topo.probe(O, "tcp", "172.29.9.1", 8080), "172.29.9.2");
  });
});
