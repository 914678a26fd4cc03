// Links through the API, each checked against the decoded list and against
// `ip -j` (iproute2's own netlink decoding) as an independent view.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LinuxError } from "../../src/linux/index.js";
import { Cleanup, ipJson, uniquePrefix } from "./helpers.js";

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  operstate: string;
  master?: string;
  link_index?: number;
  link_netnsid?: number;
  link?: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown>; info_slave_kind?: string; info_slave_data?: Record<string, unknown> };
}

const ipLink = (name: string, ns?: string): IpLink => {
  const args = ns === undefined ? ["-d", "link", "show", "dev", name] : ["-n", ns, "-d", "link", "show", "dev", name];
  const [link] = ipJson<IpLink[]>(...args);
  assert.ok(link, `ip link show ${name}`);
  return link;
};

test("veth with the peer created inside a namespace, host end on a bridge", () => {
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const nsName = `${p}ns`;
    const nsPath = cleanup.netns(nsName);
    const host = cleanup.handle();
    const inside = cleanup.handle(nsPath);
    cleanup.hostLink(`${p}br`);
    cleanup.hostLink(`${p}v0`);

    host.linkAdd({ kind: "bridge", name: `${p}br`, mtu: 1450, mac: "02:42:00:aa:bb:01", up: true });
    host.linkAdd({
      kind: "veth",
      name: `${p}v0`,
      mtu: 1450,
      up: true,
      master: `${p}br`,
      peerName: "eth0",
      peerNamespace: nsPath,
      peerMac: "02:42:ac:11:00:02",
    });

    const bridge = host.linkGet(`${p}br`);
    assert.equal(bridge.kind, "bridge");
    assert.equal(bridge.mtu, 1450);
    assert.equal(bridge.mac, "02:42:00:aa:bb:01");
    assert.equal(bridge.up, true);
    assert.equal(bridge.bridge?.vlanFiltering, false);

    const hostEnd = host.linkGet(`${p}v0`);
    assert.equal(hostEnd.kind, "veth");
    assert.equal(hostEnd.up, true);
    assert.equal(hostEnd.masterIndex, bridge.index);
    assert.equal(hostEnd.slaveKind, "bridge");
    assert.notEqual(hostEnd.linkNetnsId, undefined, "peer lives in another namespace");

    const peer = inside.linkGet("eth0");
    assert.equal(peer.kind, "veth");
    assert.equal(peer.mtu, 1450, "peer MTU defaults to the link's");
    assert.equal(peer.mac, "02:42:ac:11:00:02");
    assert.equal(peer.up, false);
    assert.equal(peer.parentIndex, hostEnd.index);
    assert.equal(hostEnd.parentIndex, peer.index);
    assert.ok(host.linkList().some((l) => l.index === hostEnd.index && l.masterIndex === bridge.index));

    // iproute2's view agrees.
    const ipHost = ipLink(`${p}v0`);
    assert.equal(ipHost.master, `${p}br`);
    assert.equal(ipHost.mtu, 1450);
    assert.ok(ipHost.flags.includes("UP"));
    assert.equal(ipHost.link_index, peer.index);
    assert.equal(ipHost.linkinfo?.info_kind, "veth");
    assert.equal(ipHost.linkinfo?.info_slave_kind, "bridge");
    const ipPeer = ipLink("eth0", nsName);
    assert.equal(ipPeer.address, "02:42:ac:11:00:02");
    assert.equal(ipPeer.link_index, hostEnd.index);
    assert.equal(ipLink(`${p}br`).address, "02:42:00:aa:bb:01");

    // Hairpin on the bridge port, as iproute2 sees it, on and off again.
    assert.equal(ipHost.linkinfo?.info_slave_data?.hairpin, false);
    host.linkSetBridgePort(`${p}v0`, { hairpin: true });
    assert.equal(ipLink(`${p}v0`).linkinfo?.info_slave_data?.hairpin, true);
    host.linkSetBridgePort(`${p}v0`, { hairpin: false });
    assert.equal(ipLink(`${p}v0`).linkinfo?.info_slave_data?.hairpin, false);

    // Deleting one end removes both.
    host.linkDel(`${p}v0`);
    assert.equal(host.linkFind(`${p}v0`), undefined);
    assert.equal(inside.linkFind("eth0"), undefined);
  } finally {
    cleanup.run();
  }
});

test("rename, MAC, MTU and up in one request; master set and cleared; move to a namespace", () => {
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const nsName = `${p}ns`;
    const nsPath = cleanup.netns(nsName);
    const host = cleanup.handle();
    const inside = cleanup.handle(nsPath);
    cleanup.hostLink(`${p}br`);
    cleanup.hostLink(`${p}a`);
    host.linkAdd({ kind: "bridge", name: `${p}br` });
    host.linkAdd({ kind: "veth", name: `${p}a`, peerName: `${p}b` });

    host.linkSetMaster(`${p}a`, `${p}br`);
    assert.equal(ipLink(`${p}a`).master, `${p}br`);
    host.linkSetMaster(`${p}a`, null);
    assert.equal(host.linkGet(`${p}a`).masterIndex, undefined);
    assert.equal(ipLink(`${p}a`).master, undefined);

    host.linkSetMtu(`${p}a`, 1300);
    host.linkSetUp(`${p}a`);
    assert.deepEqual([host.linkGet(`${p}a`).mtu, host.linkGet(`${p}a`).up], [1300, true]);
    host.linkSetDown(`${p}a`);
    assert.equal(ipLink(`${p}a`).flags.includes("UP"), false);

    // The sandbox sequence: move the peer in, then rename/MAC/MTU/up at once.
    host.linkSetNamespace(`${p}b`, nsPath);
    assert.equal(host.linkFind(`${p}b`), undefined);
    inside.linkSet(`${p}b`, { name: "eth1", mac: "02:42:0a:00:00:07", mtu: 1280, up: true });
    const moved = inside.linkGet("eth1");
    assert.deepEqual([moved.name, moved.mac, moved.mtu, moved.up], ["eth1", "02:42:0a:00:00:07", 1280, true]);
    const ipMoved = ipLink("eth1", nsName);
    assert.equal(ipMoved.address, "02:42:0a:00:00:07");
    assert.equal(ipMoved.mtu, 1280);
    assert.ok(ipMoved.flags.includes("UP"));

    // Single-purpose setters by index.
    inside.linkSetName(moved.index, "eth2");
    inside.linkSetMac(moved.index, "02:42:0a:00:00:08");
    assert.equal(inside.linkGet(moved.index).name, "eth2");
    assert.equal(ipLink("eth2", nsName).address, "02:42:0a:00:00:08");
  } finally {
    cleanup.run();
  }
});

test("macvlan on a parent, in the host and created straight into a namespace", () => {
  // The test kernel has no dummy driver, so a veth end serves as the parent.
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const nsName = `${p}ns`;
    const nsPath = cleanup.netns(nsName);
    const host = cleanup.handle();
    const inside = cleanup.handle(nsPath);
    cleanup.hostLink(`${p}par`);
    cleanup.hostLink(`${p}mv`);
    host.linkAdd({ kind: "veth", name: `${p}par`, peerName: `${p}pp`, up: true });
    const parent = host.linkGet(`${p}par`);

    host.linkAdd({ kind: "macvlan", name: `${p}mv`, parent: `${p}par`, mode: "bridge", mtu: 1400 });
    const mv = host.linkGet(`${p}mv`);
    assert.equal(mv.kind, "macvlan");
    assert.equal(mv.macvlan?.mode, "bridge");
    assert.equal(mv.parentIndex, parent.index);
    const ipMv = ipLink(`${p}mv`);
    assert.equal(ipMv.linkinfo?.info_data?.mode, "bridge");
    assert.equal(ipMv.link, `${p}par`);

    host.linkAdd({ kind: "macvlan", name: "eth0", parent: parent.index, mode: "private", namespace: nsPath, mac: "02:42:c0:a8:00:02" });
    const inNs = inside.linkGet("eth0");
    assert.equal(inNs.kind, "macvlan");
    assert.equal(inNs.macvlan?.mode, "private");
    assert.equal(inNs.mac, "02:42:c0:a8:00:02");
    assert.equal(ipLink("eth0", nsName).linkinfo?.info_data?.mode, "private");
  } finally {
    cleanup.run();
  }
});

test("vxlan: vni, local, port, learning off, ttl, parent", () => {
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const host = cleanup.handle();
    cleanup.hostLink(`${p}vx`);
    cleanup.hostLink(`${p}u`);
    host.linkAdd({ kind: "veth", name: `${p}u`, peerName: `${p}uu` });
    const underlay = host.linkGet(`${p}u`);
    host.linkAdd({
      kind: "vxlan",
      name: `${p}vx`,
      vni: 4242,
      local: "192.0.2.10",
      port: 4789,
      learning: false,
      ttl: 64,
      parent: `${p}u`,
      mtu: 1450,
      proxy: true,
    });
    const vx = host.linkGet(`${p}vx`);
    assert.equal(vx.kind, "vxlan");
    assert.deepEqual(
      [vx.vxlan?.vni, vx.vxlan?.local, vx.vxlan?.port, vx.vxlan?.learning, vx.vxlan?.ttl, vx.vxlan?.parentIndex, vx.vxlan?.proxy],
      [4242, "192.0.2.10", 4789, false, 64, underlay.index, true],
    );
    assert.equal(vx.mtu, 1450);
    const data = ipLink(`${p}vx`).linkinfo?.info_data ?? {};
    assert.equal(data.id, 4242);
    assert.equal(data.local, "192.0.2.10");
    assert.equal(data.port, 4789);
    assert.equal(data.learning, false);
    assert.equal(data.ttl, 64);
    assert.equal(data.link, `${p}u`);

    // A second one with a unicast remote over IPv6.
    cleanup.hostLink(`${p}vy`);
    host.linkAdd({ kind: "vxlan", name: `${p}vy`, vni: 7, remote: "2001:db8::2", local: "2001:db8::1" });
    const vy = host.linkGet(`${p}vy`);
    assert.deepEqual([vy.vxlan?.remote, vy.vxlan?.group, vy.vxlan?.local], ["2001:db8::2", undefined, "2001:db8::1"]);
    assert.equal(ipLink(`${p}vy`).linkinfo?.info_data?.remote6, "2001:db8::2");
  } finally {
    cleanup.run();
  }
});

test("errors name the operation and object: EEXIST, ENODEV; bad names are refused", () => {
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const host = cleanup.handle();
    cleanup.hostLink(`${p}br`);
    host.linkAdd({ kind: "bridge", name: `${p}br` });
    assert.throws(
      () => host.linkAdd({ kind: "bridge", name: `${p}br` }),
      (e: unknown) =>
        e instanceof LinuxError && e.code === "EEXIST" && e.errno === 17 && e.message === `link add "${p}br": File exists (EEXIST)`,
    );
    assert.throws(
      () => host.linkDel(`${p}none`),
      (e: unknown) => e instanceof LinuxError && e.code === "ENODEV" && e.message === `link del "${p}none": No such device (ENODEV)`,
    );
    assert.throws(() => host.linkGet(`${p}none`), (e: unknown) => e instanceof LinuxError && e.code === "ENODEV");
    assert.throws(() => host.linkSetUp(`${p}none`), (e: unknown) => e instanceof LinuxError && e.operation === `link set "${p}none"`);
    assert.equal(host.linkFind(`${p}none`), undefined);
    assert.throws(() => host.linkAdd({ kind: "bridge", name: "a-name-that-is-too-long" }), TypeError);
    // The socket keeps working after errors.
    assert.equal(host.linkGet(`${p}br`).kind, "bridge");
  } finally {
    cleanup.run();
  }
});
