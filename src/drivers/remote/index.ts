export { RemoteDriver } from "./remote-driver.js";
export * as remoteDriverApi from "./api.js";
export { loadRemoteDriver } from "./load.js";
