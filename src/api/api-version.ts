import type { IncomingMessage } from "node:http";

/**
 * Docker Engine API versions this server speaks. 1.48 is the first version
 * with the fields cnm serves (EnableIPv4 on networks, GwPriority on connect);
 * a newer client (docker 28.2 speaks 1.50) negotiates down to it after
 * reading `Api-Version` from /_ping, as the Docker client does.
 */
export const MAX_API_VERSION = "1.48";
/** The oldest version Docker's daemon still accepts; requests below it get 400. */
export const MIN_API_VERSION = "1.24";

/**
 * Compares dotted versions numerically, component by component ("1.9" <
 * "1.10"); a missing or non-numeric component counts as 0, as Docker's
 * versions.compare does.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = componentValue(pa[i]);
    const y = componentValue(pb[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function componentValue(s: string | undefined): number {
  return s !== undefined && /^[0-9]{1,9}$/.test(s) ? Number(s) : 0;
}

/** The version each raw request asked for (from its /v1.NN prefix), kept beside the request, not on it. */
const requestedVersions = new WeakMap<IncomingMessage, string>();

const VERSION_PREFIX = /^\/v([0-9][0-9.]{0,15})(?=[/?]|$)/;

/**
 * fastify's rewriteUrl hook: strips a `/v1.NN` prefix so one route table
 * serves both `/v1.48/networks` and `/networks`, and remembers the version.
 */
export function stripVersionPrefix(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const m = VERSION_PREFIX.exec(url);
  if (!m) return url;
  requestedVersions.set(req, m[1]!);
  const rest = url.slice(m[0].length);
  return rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
}

/** The version a request asked for, or the server's own when it had no prefix (Docker's rule). */
export function requestedVersion(req: IncomingMessage): string {
  return requestedVersions.get(req) ?? MAX_API_VERSION;
}

/** Docker's messages for a version out of range, or undefined when the version is served. */
export function unsupportedVersionMessage(version: string): string | undefined {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    return `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}`;
  }
  return undefined;
}

/** True when the request's API version is at least `version` (fields added in later versions are ignored before). */
export function versionAtLeast(req: IncomingMessage, version: string): boolean {
  return compareVersions(requestedVersion(req), version) >= 0;
}
