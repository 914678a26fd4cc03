/**
 * The JSON of Docker's remote IPAM protocol (libnetwork ipams/remote/api)
 * and its translation to cnm's IPAM contract. Pure functions.
 */
import type { AddressSpaceNames, AllocatedAddress, AllocatedPool, Capability, PoolRequest } from "../../ipamapi/index.js";
import { InvalidParameterError } from "../../errors.js";
import { cidrAddress, formatIpValue, readCidr } from "../../inet/index.js";

export interface RequestPoolJson {
  AddressSpace: string;
  Pool: string;
  SubPool: string;
  Options: Record<string, string>;
  V6: boolean;
}

/** RequestPoolRequest: empty strings for what is not asked, as Go marshals its zero values. */
export function requestPoolJson(req: PoolRequest): RequestPoolJson {
  return {
    AddressSpace: req.addressSpace,
    Pool: req.pool ?? "",
    SubPool: req.subPool ?? "",
    Options: { ...(req.options ?? {}) },
    V6: req.v6,
  };
}

/** RequestAddressRequest: the preferred address bare (net.IP's String), "" for any. */
export function requestAddressJson(poolId: string, preferred: string | undefined, options: Readonly<Record<string, string>> | undefined) {
  return { PoolID: poolId, Address: preferred ? cidrAddress(preferred) : "", Options: { ...(options ?? {}) } };
}

export function parseCapability(answer: { RequiresMACAddress?: unknown; RequiresRequestReplay?: unknown }): Capability {
  return { requiresMACAddress: answer.RequiresMACAddress === true, requiresRequestReplay: answer.RequiresRequestReplay === true };
}

export function parseAddressSpaces(answer: { LocalDefaultAddressSpace?: unknown; GlobalDefaultAddressSpace?: unknown }): AddressSpaceNames {
  const { LocalDefaultAddressSpace: local, GlobalDefaultAddressSpace: global } = answer;
  if (typeof local !== "string" || typeof global !== "string") {
    throw new InvalidParameterError(`GetDefaultAddressSpaces answered without LocalDefaultAddressSpace and GlobalDefaultAddressSpace strings`);
  }
  return { local, global };
}

export function parsePool(answer: { PoolID?: unknown; Pool?: unknown; Data?: unknown }): AllocatedPool {
  if (typeof answer.PoolID !== "string" || answer.PoolID === "") throw new InvalidParameterError(`RequestPool answered without a PoolID`);
  return { poolId: answer.PoolID, pool: canonicalCidr(answer.Pool, "Pool"), meta: stringMap(answer.Data) };
}

/** RequestAddress must return an address (libnetwork: "No address returned"), in CIDR form. */
export function parseAddress(answer: { Address?: unknown; Data?: unknown }): AllocatedAddress {
  if (answer.Address === undefined || answer.Address === "") throw new InvalidParameterError("No address returned");
  return { address: canonicalCidr(answer.Address, "Address", false), meta: stringMap(answer.Data) };
}

/** A CIDR in canonical text; `clear` clears host bits (for pools, not for addresses). */
function canonicalCidr(value: unknown, field: string, clear = true): string {
  const parsed = typeof value === "string" ? readCidr(value) : { error: "not a string" };
  if ("error" in parsed) throw new InvalidParameterError(`invalid ${field} ${JSON.stringify(value)} in the plugin's answer: ${parsed.error}`);
  const width = parsed.ip.family === 4 ? 32n : 128n;
  const host = (1n << (width - BigInt(parsed.bits))) - 1n;
  const value2 = clear ? parsed.ip.value & ~host : parsed.ip.value;
  return `${formatIpValue({ family: parsed.ip.family, value: value2 })}/${parsed.bits}`;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}
