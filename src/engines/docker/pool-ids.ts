import { InvalidParameterError } from "../../errors.js";

/**
 * Docker's IPAM protocol names a pool by an id the IPAM chooses, and every
 * later address call carries only that id. cnm's ids say which cnm network
 * and pool they stand for, so no table is needed to answer them, and they
 * survive a cnmd restart (dockerd keeps them for the network's life).
 *
 * A bound pool is a pool of an existing cnm network. A pool for a network
 * still to be created (`-o cnm.driver=...`) names only the subnet: the cnm
 * network that Docker's CreateNetwork makes on it is found by the subnet.
 */
export interface PoolRef {
  /** The cnm network's id, for a bound pool. */
  readonly network?: string;
  /** The pool's subnet, canonical CIDR. */
  readonly pool: string;
  /** --ip-range, for a pool still to be created. */
  readonly subPool?: string;
  readonly v6: boolean;
}

const PREFIX = "cnm1.";

export function encodePoolId(ref: PoolRef): string {
  const doc = { ...(ref.network ? { n: ref.network } : {}), p: ref.pool, ...(ref.subPool ? { s: ref.subPool } : {}), v: ref.v6 ? 6 : 4 };
  return PREFIX + Buffer.from(JSON.stringify(doc)).toString("base64url");
}

export function decodePoolId(id: string): PoolRef {
  if (!id.startsWith(PREFIX)) throw new InvalidParameterError(`pool ${id} is not one of cnm's`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(id.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw new InvalidParameterError(`pool ${id} is not one of cnm's`);
  }
  const d = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  if (typeof d.p !== "string" || (d.v !== 4 && d.v !== 6)) throw new InvalidParameterError(`pool ${id} is not one of cnm's`);
  return {
    pool: d.p,
    v6: d.v === 6,
    ...(typeof d.n === "string" ? { network: d.n } : {}),
    ...(typeof d.s === "string" ? { subPool: d.s } : {}),
  };
}
