export { AddressPool, makePoolId } from "./address-pool.js";
export { DefaultIpam, registerDefaultIpam, type DefaultIpamConfig, type PoolInfo } from "./default-ipam.js";
export { type HostRoutesProvider, noHostRoutes } from "./host-routes.js";
// Tests and tools read routes with `ip`; the reader is linux/'s, the only room that touches the kernel.
export { ipCommandRoutesProvider, readHostRoutes, type ReadHostRoutesOptions } from "../linux/index.js";
export { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, type NetworkToSplit } from "./predefined-pools.js";
export { type IpamState, type PoolState, STATE_VERSION } from "./state.js";
