import { hasErrorCode, NetlinkHandle, netns, sysctlSet } from "../linux/index.js";
import type { Osl, SandboxGateway, SandboxInterfaceSpec } from "./types.js";

/** Errors that mean "already gone", which removal paths treat as success. */
const GONE = ["ENODEV", "ESRCH", "ENOENT", "EADDRNOTAVAIL"];

/**
 * Sandboxes as named network namespaces (compatible with `ip netns`),
 * configured over netlink. One handle per namespace is opened on first use
 * and kept until the sandbox is destroyed, so the attach path costs no
 * setns round trip beyond the first.
 */
export class LinuxOsl implements Osl {
  private readonly host = NetlinkHandle.open();
  private readonly handles = new Map<string, NetlinkHandle>();

  private handle(key: string): NetlinkHandle {
    let h = this.handles.get(key);
    if (!h) {
      h = NetlinkHandle.open(key);
      this.handles.set(key, h);
    }
    return h;
  }

  async createSandbox(name: string): Promise<string> {
    const path = netns.create(name);
    try {
      this.handle(path).linkSetUp("lo");
      // Interfaces created here from now on start without IPv6; addInterface turns it
      // on for the ones that get an IPv6 address. An IPv4-only interface would
      // otherwise send DAD, MLD and router solicitations on every attach, which
      // the bridge floods to all its ports: attach cost would grow with the network.
      sysctlSet("net.ipv6.conf.default.disable_ipv6", 1, { namespace: path });
    } catch (err) {
      this.dropHandle(path);
      netns.delete(name, { missingOk: true });
      throw err;
    }
    return path;
  }

  async destroySandbox(key: string): Promise<void> {
    this.dropHandle(key);
    // Deleting the namespace destroys every interface in it; a veth's host end dies with its peer.
    netns.delete(nameOf(key), { missingOk: true });
  }

  async addInterface(key: string, spec: SandboxInterfaceSpec): Promise<void> {
    const ns = this.handle(key);
    const changes = {
      name: spec.dstName,
      ...(spec.mac ? { mac: spec.mac } : {}),
      ...(spec.mtu ? { mtu: spec.mtu } : {}),
    };
    const ipv6 = spec.addresses.some((a) => a.includes(":"));
    let isUp = false;
    const created = ns.linkFind(spec.srcName);
    if (created) {
      // The driver created the link inside the sandbox already (the fast path):
      // rename, MAC, MTU and (unless IPv6 must be switched on first) up in one request.
      ns.linkSet(created.index, { ...changes, up: !ipv6 });
      isUp = !ipv6;
    } else {
      // Move, rename, MAC and MTU in one request: the name never exists in the host namespace.
      this.host.linkSet(spec.srcName, { namespace: key, ...changes });
    }
    try {
      if (ipv6) sysctlSet(["net", "ipv6", "conf", spec.dstName, "disable_ipv6"], 0, { namespace: key });
      if (!isUp) ns.linkSetUp(spec.dstName);
      for (const cidr of spec.addresses) ns.addrAdd(spec.dstName, cidr, { noDad: true });
      for (const r of spec.routes) {
        ns.routeReplace({ dst: r.destination, dev: spec.dstName, ...(r.nextHop ? { gateway: r.nextHop } : {}) });
      }
    } catch (err) {
      ignoreGone(() => ns.linkDel(spec.dstName));
      throw err;
    }
  }

  async removeInterface(key: string, dstName: string): Promise<void> {
    ignoreGone(() => this.handle(key).linkDel(dstName));
  }

  async setGateway(key: string, gateway: SandboxGateway | undefined): Promise<void> {
    const ns = this.handle(key);
    if (gateway?.ipv4) ns.routeReplace({ dst: "default", family: 4, gateway: gateway.ipv4, dev: gateway.dev });
    else ignoreGone(() => ns.routeDel({ dst: "default", family: 4 }));
    if (gateway?.ipv6) ns.routeReplace({ dst: "default", family: 6, gateway: gateway.ipv6, dev: gateway.dev });
    else ignoreGone(() => ns.routeDel({ dst: "default", family: 6 }));
  }

  async hasInterface(key: string, name: string): Promise<boolean> {
    return this.handle(key).linkFind(name) !== undefined;
  }

  async listSandboxes(prefix: string): Promise<string[]> {
    return netns.list().filter((n) => n.startsWith(`${prefix}-`));
  }

  /** Closes every netlink socket this layer holds. */
  close(): void {
    for (const key of [...this.handles.keys()]) this.dropHandle(key);
    this.host.close();
  }

  private dropHandle(key: string): void {
    this.handles.get(key)?.close();
    this.handles.delete(key);
  }
}

function nameOf(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function ignoreGone(step: () => void): void {
  try {
    step();
  } catch (err) {
    if (!GONE.some((code) => hasErrorCode(err, code))) throw err;
  }
}
