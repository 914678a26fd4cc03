/**
 * Well-known names and option keys of the IPAM contract. The string values
 * are libnetwork's, so options coming from Docker clients and remote IPAM
 * plugins mean the same thing here.
 */

/** Name of the built-in default IPAM driver. */
export const DefaultIpamName = "default";
/** Name of the built-in null IPAM driver (no addresses at all). */
export const NullIpamName = "null";
/** The plugin endpoint type a remote IPAM plugin implements. */
export const PluginEndpointType = "IpamDriver";

/** The default IPAM's address space for local-scope networks. */
export const LocalDefaultAddressSpace = "LocalDefault";
/** The default IPAM's address space for global-scope networks. */
export const GlobalDefaultAddressSpace = "GlobalDefault";

/** requestAddress option key naming what the address is for. */
export const RequestAddressType = "RequestAddressType";
/** Value of `RequestAddressType` meaning "this request is for the network's gateway". */
export const GatewayAddressType = "com.docker.network.gateway";
/**
 * requestAddress option key: "true" hands addresses out serially (next after
 * the last one allocated, wrapping around) so a just-released address is not
 * reused at once; "false" hands out the lowest free address.
 */
export const AllocSerialOption = "com.docker.network.ipam.serial";
/** requestAddress option key carrying the endpoint's MAC address when the driver requires it. */
export const MacAddressOption = "com.docker.network.endpoint.macaddress";
