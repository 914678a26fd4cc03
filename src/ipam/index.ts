export { AddressPool, makePoolId } from "./address-pool.js";
export { DefaultIpam, registerDefaultIpam, type DefaultIpamConfig, type PoolInfo } from "./default-ipam.js";
export { type HostRoutesProvider, ipCommandRoutesProvider, noHostRoutes, readHostRoutes, type ReadHostRoutesOptions } from "./host-routes.js";
export { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, type NetworkToSplit } from "./predefined-pools.js";
export { type IpamState, type PoolState, STATE_VERSION } from "./state.js";
