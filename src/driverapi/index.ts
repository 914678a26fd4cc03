export * from "./capability.js";
export * from "./discovery.js";
export * from "./driver.js";
export * from "./events.js";
export * from "./info.js";
export * from "./ipam-data.js";
export * from "./options.js";
export * from "./id-pool.js";
