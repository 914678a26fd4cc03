/**
 * Test helper: "hosts" for the overlay driver in one process. Each host is a
 * network namespace on a shared underlay (a bridge in a namespace of its
 * own, on test-only addresses: 198.51.100.0/24 or 2001:db8:ff::/64); each
 * has its own controller whose overlay driver holds a netlink handle in that
 * host namespace, so the vxlan tunnels' UDP sockets live there. The gossip
 * goes through an InProcessCluster, the VXLAN ids come from one shared
 * MemoryIdPool.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Controller, InProcessCluster, driverapi } from "../../src/index.js";
import { MemoryIdPool, OverlayDriver, overlayDriverInit, overlayNamespaceName } from "../../src/drivers/overlay/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { NetlinkHandle, netns } from "../../src/linux/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { sweep, uniquePrefix } from "./helpers.js";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

export interface OverlayHost {
  readonly name: string;
  /** The host controller's prefix. */
  readonly prefix: string;
  /** The host's (underlay) namespace. */
  readonly ns: string;
  readonly underlayIp: string;
  readonly handle: NetlinkHandle;
  readonly driver: OverlayDriver;
  readonly c: Controller;
  readonly peerErrors: unknown[];
}

export class OverlayTestbed {
  readonly cluster = new InProcessCluster();
  readonly pool = new MemoryIdPool();
  readonly hosts: OverlayHost[] = [];
  private readonly testPrefix = uniquePrefix();

  /** Builds the underlay and one controller per host name. Call close() in an after hook even if this fails. */
  async start(names: readonly string[], family: 4 | 6 = 4): Promise<void> {
    const underlay = `${this.testPrefix}-ul`;
    netns.create(underlay);
    ip("-n", underlay, "link", "add", "br0", "type", "bridge");
    ip("-n", underlay, "link", "set", "br0", "up");
    for (const [i, name] of names.entries()) {
      const prefix = uniquePrefix();
      const ns = `${this.testPrefix}-h${name}`;
      const underlayIp = family === 4 ? `198.51.100.${i + 1}` : `2001:db8:ff::${i + 1}`;
      netns.create(ns);
      ip("-n", ns, "link", "add", "ul0", "type", "veth", "peer", "name", `p${name}`, "netns", underlay);
      ip("-n", underlay, "link", "set", `p${name}`, "master", "br0", "up");
      ip("-n", ns, "addr", "add", family === 4 ? `${underlayIp}/24` : `${underlayIp}/64`, "dev", "ul0", ...(family === 6 ? ["nodad"] : []));
      ip("-n", ns, "link", "set", "ul0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
      const handle = NetlinkHandle.open(netns.path(ns));
      const peerErrors: unknown[] = [];
      const driver = new OverlayDriver({ prefix, host: handle, vxlanIds: this.pool, onPeerError: (e) => void peerErrors.push(e) });
      const osl = new LinuxOsl();
      try {
        const c = await Controller.create({
          prefix,
          runDir: `/run/cnm-test/${prefix}`,
          osl,
          agent: this.cluster.agent(name),
          drivers: [overlayDriverInit(driver)],
          ipams: [{ name: "default", ipam: new DefaultIpam(), capability: { requiresMACAddress: false, requiresRequestReplay: false } }],
          resources: [osl, driver],
        });
        this.hosts.push({ name, prefix, ns, underlayIp, handle, driver, c, peerErrors });
      } catch (err) {
        handle.close();
        osl.close();
        sweep(prefix);
        throw err;
      }
    }
  }

  /** Node discovery as the cluster layer will give it: each host learns its own address. */
  async discoverSelves(): Promise<void> {
    for (const h of this.hosts) {
      await h.driver.discoverNew({
        type: driverapi.DiscoveryType.NodeDiscovery,
        data: { address: h.underlayIp, bindAddress: h.underlayIp, self: true },
      });
    }
  }

  /** Runs `read` with a handle inside a host's overlay namespace of network `nid`. */
  inOverlay<T>(h: OverlayHost, nid: string, read: (nl: NetlinkHandle) => T): T {
    const nl = NetlinkHandle.open(netns.path(overlayNamespaceName(h.prefix, nid)));
    try {
      return read(nl);
    } finally {
      nl.close();
    }
  }

  /** Tears every controller down and removes every namespace, link and file the test made. */
  async close(): Promise<void> {
    try {
      for (const h of this.hosts) {
        try {
          await h.c.destroyAll();
          await h.c.close();
        } finally {
          h.handle.close();
        }
      }
    } finally {
      for (const h of this.hosts) sweep(h.prefix);
      sweep(this.testPrefix);
    }
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
