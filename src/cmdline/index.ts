/**
 * What cnm's three programs (cnmd, cnm, networkdb-node) share for their
 * command lines: the one UsageError (exit 2 with the usage), the checks of
 * flags more than one program takes, and the strict flags-only parsing of the
 * two daemons. Below daemon/, networkdb-node/ and cli/, so none of them
 * imports another; it imports only log/ and networkdb/'s wire codec.
 */
export { UsageError } from "./usage-error.js";
export { parseLogLevel } from "./log-level.js";
export { decodeKey } from "./gossip-key.js";
export { ipAddressFlag, joinListFlag } from "./address-flags.js";
export { parseFlagsOnly } from "./flags-only.js";
export { readCommandLine } from "./program.js";
export { DEFAULT_DATA_ROOT, defaultPrefix } from "./daemon-prefix.js";
