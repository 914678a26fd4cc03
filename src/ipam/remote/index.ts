export { RemoteIpam } from "./remote-ipam.js";
export * as remoteIpamApi from "./api.js";
export { loadRemoteIpam } from "./load.js";
