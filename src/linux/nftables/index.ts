// nftables firewall for cnm's bridge networks: see firewall.ts for the model
// and ruleset.ts for the fixed rules.
export { Firewall, type FirewallEvent, type FirewallOptions, type FirewallState } from "./firewall.js";
export type { FirewallNetwork, PortMapping, Protocol } from "./model.js";
export { NftError, type NftRunnerOptions } from "./nft-runner.js";
export { FlushWatcher, type FlushWatcherOptions } from "./flush-watcher.js";
