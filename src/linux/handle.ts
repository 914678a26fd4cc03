// NetlinkHandle: an rtnetlink socket bound to one network namespace, with the
// operations on links, addresses, routes, neighbours and the bridge FDB as
// methods. The logic lives in one file per object kind (link.ts, addr.ts...);
// this class only binds it to a socket, so `h.linkSetUp("eth0")` acts on the
// namespace the handle was opened in, whatever thread state follows.
import { NetlinkSocket, type NetlinkSocketOptions } from "./netlink/socket.js";
import { NETLINK_ROUTE } from "./netlink/constants.js";
import * as links from "./link.js";
import * as addrs from "./addr.js";
import * as routes from "./route.js";
import * as neighs from "./neigh.js";
import * as fdbs from "./fdb.js";
import type { BridgePortChanges, Link, LinkChanges } from "./link.js";
import type { LinkRef, LinkSpec } from "./link-kinds.js";
import type { Addr, AddrFilter, AddrOptions } from "./addr.js";
import type { Route, RouteFilter, RouteSpec } from "./route.js";
import type { Neigh, NeighFilter, NeighSpec } from "./neigh.js";
import type { FdbEntry, FdbFilter, FdbSpec } from "./fdb.js";

export interface NetlinkHandleOptions {
  /** Reply timeout in ms (default 10 000). */
  timeoutMs?: number;
}

export class NetlinkHandle {
  private constructor(
    /** The rtnetlink socket; usable directly for messages this class lacks. */
    readonly socket: NetlinkSocket,
  ) {}

  /** Opens a handle on the namespace at `nsPath` (e.g. netns.path("x")), or on
   * this process's namespace when omitted. Close it when done. */
  static open(nsPath?: string, options: NetlinkHandleOptions = {}): NetlinkHandle {
    const socketOptions: NetlinkSocketOptions = {};
    if (nsPath !== undefined) socketOptions.nsPath = nsPath;
    if (options.timeoutMs !== undefined) socketOptions.timeoutMs = options.timeoutMs;
    return new NetlinkHandle(NetlinkSocket.open(NETLINK_ROUTE, socketOptions));
  }

  /** Namespace path the handle acts on; undefined for the process's own. */
  get nsPath(): string | undefined {
    return this.socket.nsPath;
  }

  close(): void {
    this.socket.close();
  }

  // --- links ---------------------------------------------------------------
  /** Creates a link (veth, bridge, vxlan, macvlan, vlan, dummy); EEXIST if the name is taken. */
  linkAdd(spec: LinkSpec): void {
    links.linkAdd(this.socket, spec);
  }
  /** Deletes a link; ENODEV if absent. */
  linkDel(link: LinkRef): void {
    links.linkDel(this.socket, link);
  }
  /** Applies several changes in one request (see LinkChanges for the order). */
  linkSet(link: LinkRef, changes: LinkChanges): void {
    links.linkSet(this.socket, link, changes);
  }
  /** Changes the link's options as a port of its bridge (hairpin). */
  linkSetBridgePort(link: LinkRef, changes: BridgePortChanges): void {
    links.linkSetBridgePort(this.socket, link, changes);
  }
  linkSetUp(link: LinkRef): void {
    links.linkSet(this.socket, link, { up: true });
  }
  linkSetDown(link: LinkRef): void {
    links.linkSet(this.socket, link, { up: false });
  }
  linkSetMtu(link: LinkRef, mtu: number): void {
    links.linkSet(this.socket, link, { mtu });
  }
  linkSetName(link: LinkRef, name: string): void {
    links.linkSet(this.socket, link, { name });
  }
  linkSetMac(link: LinkRef, mac: string): void {
    links.linkSet(this.socket, link, { mac });
  }
  /** Attaches to a bridge, or detaches with null. */
  linkSetMaster(link: LinkRef, master: LinkRef | null): void {
    links.linkSet(this.socket, link, { master });
  }
  /** Moves the link into the namespace at `nsPath`. */
  linkSetNamespace(link: LinkRef, nsPath: string): void {
    links.linkSet(this.socket, link, { namespace: nsPath });
  }
  /** ENODEV if absent. */
  linkGet(link: LinkRef): Link {
    return links.linkGet(this.socket, link);
  }
  /** undefined if absent. */
  linkFind(link: LinkRef): Link | undefined {
    return links.linkFind(this.socket, link);
  }
  linkList(): Link[] {
    return links.linkList(this.socket);
  }
  /** ifindex of a link name (numbers are returned unchanged). */
  linkIndex(link: LinkRef): number {
    return links.linkIndex(this.socket, link);
  }

  // --- addresses -------------------------------------------------------------
  /** Adds "172.18.0.2/16" or "fd00::2/64" to a link; EEXIST if present. */
  addrAdd(link: LinkRef, cidr: string, options?: AddrOptions): void {
    addrs.addrAdd(this.socket, link, cidr, options);
  }
  addrReplace(link: LinkRef, cidr: string, options?: AddrOptions): void {
    addrs.addrReplace(this.socket, link, cidr, options);
  }
  /** EADDRNOTAVAIL if absent. */
  addrDel(link: LinkRef, cidr: string): void {
    addrs.addrDel(this.socket, link, cidr);
  }
  addrList(filter?: AddrFilter): Addr[] {
    return addrs.addrList(this.socket, filter);
  }

  // --- routes ------------------------------------------------------------------
  /** EEXIST if an identical route exists. */
  routeAdd(spec: RouteSpec): void {
    routes.routeAdd(this.socket, spec);
  }
  routeReplace(spec: RouteSpec): void {
    routes.routeReplace(this.socket, spec);
  }
  /** ESRCH if no route matches. */
  routeDel(spec: RouteSpec): void {
    routes.routeDel(this.socket, spec);
  }
  /** Main table unless filter.table says otherwise. */
  routeList(filter?: RouteFilter): Route[] {
    return routes.routeList(this.socket, filter);
  }

  // --- neighbours ----------------------------------------------------------------
  neighAdd(spec: NeighSpec): void {
    neighs.neighAdd(this.socket, spec);
  }
  neighReplace(spec: NeighSpec): void {
    neighs.neighReplace(this.socket, spec);
  }
  neighDel(spec: Pick<NeighSpec, "dev" | "ip" | "proxy">): void {
    neighs.neighDel(this.socket, spec);
  }
  neighList(filter?: NeighFilter): Neigh[] {
    return neighs.neighList(this.socket, filter);
  }

  // --- bridge FDB -------------------------------------------------------------------
  fdbAdd(spec: FdbSpec): void {
    fdbs.fdbAdd(this.socket, spec);
  }
  fdbReplace(spec: FdbSpec): void {
    fdbs.fdbReplace(this.socket, spec);
  }
  fdbAppend(spec: FdbSpec): void {
    fdbs.fdbAppend(this.socket, spec);
  }
  fdbDel(spec: FdbSpec): void {
    fdbs.fdbDel(this.socket, spec);
  }
  fdbList(filter?: FdbFilter): FdbEntry[] {
    return fdbs.fdbList(this.socket, filter);
  }
}
