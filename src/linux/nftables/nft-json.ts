// Typed builders for the libnftables JSON schema (man libnftables-json), only
// the part cnm uses. Keeping the shapes in one place means the rule set reads
// as data, and a typo in an expression key is a type error rather than an nft
// parse failure at run time.

/** The nftables families cnm creates tables in. */
export type NftFamily = "inet" | "bridge";

/** Any JSON value nft accepts as an expression. */
export type NftExpr = string | number | boolean | null | NftExpr[] | { [key: string]: NftExpr };

export interface NftTable {
  family: NftFamily;
  name: string;
}

export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  type?: "filter" | "nat";
  hook?: "prerouting" | "input" | "forward" | "output" | "postrouting";
  prio?: number;
  policy?: "accept";
}

export interface NftSet {
  family: NftFamily;
  table: string;
  name: string;
  /** Key type; an array for a concatenation. */
  type: string | string[];
  /** Data type, present for maps only. */
  map?: string;
  flags?: "interval"[];
}

export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  expr: NftExpr[];
}

export interface NftElement {
  family: NftFamily;
  table: string;
  name: string;
  /** Set elements, or [key, value] pairs for a map. For deletion: keys only. */
  elem: NftExpr[];
}

export type NftObject =
  | { table: NftTable }
  | { chain: NftChain }
  | { set: NftSet }
  | { map: NftSet }
  | { rule: NftRule }
  | { element: NftElement };

export type NftCommand = { add: NftObject } | { delete: NftObject } | { list: NftObject };

// ---- expressions ---------------------------------------------------------

export const meta = (key: "iifname" | "oifname" | "l4proto" | "nfproto" | "pkttype"): NftExpr => ({ meta: { key } });

export const payload = (protocol: "ip" | "ip6" | "th", field: "saddr" | "daddr" | "dport"): NftExpr => ({
  payload: { protocol, field },
});

export const ct = (key: "state" | "status"): NftExpr => ({ ct: { key } });

export const concat = (...parts: NftExpr[]): NftExpr => ({ concat: parts });

export const prefix = (addr: string, len: number): NftExpr => ({ prefix: { addr, len } });

/** Reference to a named set or map in the same table. */
export const setRef = (name: string): string => `@${name}`;

export const match = (op: "==" | "!=" | "in", left: NftExpr, right: NftExpr): NftExpr => ({
  match: { op, left, right },
});

/** `fib daddr type local`: the destination is one of this host's addresses. */
export const fibDaddrIsLocal: NftExpr = match("==", { fib: { result: "type", flags: ["daddr"] } }, "local");

/**
 * `fib daddr . iif type != local`: the destination is not an address of the
 * interface the packet came in on (though it may be another of the host's).
 */
export const fibDaddrNotOnInputInterface: NftExpr = match("!=", { fib: { result: "type", flags: ["daddr", "iif"] } }, "local");

export const accept: NftExpr = { accept: null };
export const drop: NftExpr = { drop: null };
export const masquerade: NftExpr = { masquerade: null };

/** A map lookup `key map @name`. */
export const mapLookup = (key: NftExpr, mapName: string): NftExpr => ({ map: { key, data: setRef(mapName) } });

/**
 * `dnat ip|ip6 to <addr-map-lookup> : <port-map-lookup>`. Address and port
 * come from two maps with the same key because nft 1.0.6's JSON parser cannot
 * take a map whose data is a concatenation (address . port): it rejects the
 * map and crashes on the rule. Two lookups cost the same O(1).
 */
export const dnatFromMaps = (family: "ip" | "ip6", key: NftExpr, addrMap: string, portMap: string): NftExpr => ({
  dnat: { family, addr: mapLookup(key, addrMap), port: mapLookup(key, portMap) },
});
