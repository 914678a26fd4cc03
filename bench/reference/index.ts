// The reference side of the attach benchmark, as one import for bench/attach.
export { ensureReferenceTools, packageVersion, CNI_PLUGIN_DIR, NETAVARK_BINARY, type ReferenceTools } from "./install.js";
export { measureCni, type CniOptions } from "./cni.js";
export { measureNetavark, netavarkVersion, firewallFor, type NetavarkOptions } from "./netavark.js";
export { median, percentile, summary, roundSummary, type Summary } from "./stats.js";
export type { MeasureOptions, MeasureResult, AttachedSandbox } from "./types.js";
export type { ProgressEvent, ProgressFn } from "./progress.js";
