/**
 * Errors of the IPAM contract. Each carries a stable `code` for programs and
 * a `kind` the API layer maps to a status (invalid-parameter -> 400,
 * forbidden -> 403, not-found -> 404, unavailable -> 503), as libnetwork's
 * error types do.
 */

import { CnmError } from "../errors.js";

export type IpamErrorCode =
  | "INVALID_ADDRESS_SPACE"
  | "INVALID_CIDR"
  | "INVALID_ADDRESS"
  | "INVALID_REQUEST"
  | "POOL_OVERLAP"
  | "NO_MORE_POOLS"
  | "POOL_EXHAUSTED"
  | "ADDRESS_IN_USE"
  | "ADDRESS_OUT_OF_RANGE"
  | "UNKNOWN_POOL";

export type IpamErrorKind = "invalid-parameter" | "forbidden" | "not-found" | "unavailable";

const STATUS_OF_KIND = { "invalid-parameter": 400, forbidden: 403, "not-found": 404, unavailable: 503 } as const;

export class IpamError extends CnmError {
  constructor(
    readonly code: IpamErrorCode,
    readonly kind: IpamErrorKind,
    message: string,
  ) {
    super(message);
  }

  get status(): 400 | 403 | 404 | 503 {
    return STATUS_OF_KIND[this.kind];
  }
}

/** The address space is not one this driver knows. */
export class InvalidAddressSpaceError extends IpamError {
  constructor(readonly addressSpace: string) {
    super("INVALID_ADDRESS_SPACE", "invalid-parameter", `unknown address space ${JSON.stringify(addressSpace)}`);
  }
}

/** A string that should be a CIDR is not one. */
export class InvalidCidrError extends IpamError {
  constructor(readonly input: string, detail?: string) {
    super("INVALID_CIDR", "invalid-parameter", `invalid CIDR ${JSON.stringify(input)}${detail ? `: ${detail}` : ""}`);
  }
}

/** A string that should be an IP address is not one. */
export class InvalidAddressError extends IpamError {
  constructor(readonly input: string) {
    super("INVALID_ADDRESS", "invalid-parameter", `invalid IP address ${JSON.stringify(input)}`);
  }
}

/** A request that is well-formed but inconsistent (e.g. a sub-pool outside its pool). */
export class InvalidRequestError extends IpamError {
  constructor(message: string) {
    super("INVALID_REQUEST", "invalid-parameter", message);
  }
}

/** The requested pool overlaps a pool already allocated in the same address space. */
export class PoolOverlapError extends IpamError {
  constructor(
    readonly pool: string,
    readonly existing: string,
    readonly addressSpace: string,
  ) {
    super("POOL_OVERLAP", "forbidden", `pool ${pool} overlaps with pool ${existing} already allocated in address space ${addressSpace}`);
  }
}

/** No predefined pool is left that overlaps nothing in use. */
export class NoMorePoolsError extends IpamError {
  constructor(
    readonly addressSpace: string,
    readonly v6: boolean,
  ) {
    super(
      "NO_MORE_POOLS",
      "unavailable",
      `no available non-overlapping ${v6 ? "IPv6" : "IPv4"} pool among the predefined pools of address space ${addressSpace}`,
    );
  }
}

/** Every address of the pool's range is allocated. The message names the pool. */
export class PoolExhaustedError extends IpamError {
  constructor(
    readonly pool: string,
    readonly range?: string,
  ) {
    super("POOL_EXHAUSTED", "unavailable", `no available addresses in pool ${pool}${range ? ` (range ${range})` : ""}`);
  }
}

/** The preferred address is already allocated, or reserved (network, broadcast, subnet-router anycast). */
export class AddressInUseError extends IpamError {
  constructor(
    readonly address: string,
    readonly pool: string,
    reason = "already in use",
  ) {
    super("ADDRESS_IN_USE", "forbidden", `address ${address} of pool ${pool} is ${reason}`);
  }
}

/** The address does not belong to the pool (or to its address family). */
export class AddressOutOfRangeError extends IpamError {
  constructor(
    readonly address: string,
    readonly pool: string,
  ) {
    super("ADDRESS_OUT_OF_RANGE", "invalid-parameter", `address ${address} is out of range of pool ${pool}`);
  }
}

/** No pool with this id is allocated. */
export class UnknownPoolError extends IpamError {
  constructor(readonly poolId: string) {
    super("UNKNOWN_POOL", "not-found", `unknown pool ${JSON.stringify(poolId)}`);
  }
}
