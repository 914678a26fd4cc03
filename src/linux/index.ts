// The linux layer: the only code in cnm that touches the kernel. Netlink is
// spoken directly (no `ip` process on the attach path), through a small
// native addon for the system calls Node lacks.
export { NetlinkHandle, type NetlinkHandleOptions } from "./handle.js";
export { netns, NETNS_RUN_DIR, OWN_NETNS_PATH } from "./netns.js";
export { sysctlGet, sysctlSet, sysctlPath, type SysctlKey, type SysctlOptions } from "./sysctl.js";
export { LinuxError, hasErrorCode } from "./errors.js";
export { kernelConfigOption } from "./kernel-config.js";
export { NetlinkSubscription, type SubscriptionOptions } from "./subscription.js";
export type { BridgePortChanges, Link, LinkChanges, OperState } from "./link.js";
export { decodeLink } from "./link.js";
export type {
  LinkRef,
  LinkSpec,
  LinkKind,
  LinkAddCommon,
  VethSpec,
  BridgeSpec,
  VxlanSpec,
  MacvlanSpec,
  MacvlanMode,
  VlanSpec,
  VlanProtocol,
  VlanInfo,
  DummySpec,
  VxlanInfo,
  BridgeInfo,
  MacvlanInfo,
} from "./link-kinds.js";
export { decodeAddr, type Addr, type AddrFilter, type AddrOptions } from "./addr.js";
export { decodeRoute, type Route, type RouteFilter, type RouteSpec, type RouteScope, type RouteType } from "./route.js";
export { decodeNeigh, neighStateNames, type Neigh, type NeighFilter, type NeighSpec, type NeighState } from "./neigh.js";
export { decodeFdb, type FdbEntry, type FdbFilter, type FdbSpec, type FdbState } from "./fdb.js";
export { NetlinkSocket, type NetlinkSocketOptions } from "./netlink/socket.js";
export { type NlMessage, encodeMessage, splitMessages } from "./netlink/message.js";
export { AttrMap, attr, encodeAttrs, type NlAttr, type NlAttrItem } from "./netlink/attributes.js";
export * as nl from "./netlink/constants.js";
export {
  parseIp,
  formatIp,
  parsePrefix,
  formatPrefix,
  parseMac,
  formatMac,
  type IpAddress,
  type IpPrefix,
  type IpFamily,
} from "../inet/index.js";
export { ipCommandRoutesProvider, readHostRoutes, type ReadHostRoutesOptions } from "./ip-route-reader.js";
