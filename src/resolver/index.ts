// The embedded DNS resolver of a sandbox (Docker's 127.0.0.11).
export * from "./contract.js";
export { startResolver, DEFAULT_RESOLVER_TUNING, type ResolverTuning } from "./resolver.js";
