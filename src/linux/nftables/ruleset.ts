// The FIXED part of cnm's firewall: two tables named after the prefix (one
// `inet`, one `bridge`), their sets and maps, base chains and rules. None of
// it depends on which networks or port mappings exist: those are only ever
// elements of the sets below, so attaching a network or publishing a port is
// an element insertion (O(1), atomic) and never a rule change. That is also
// why nothing here needs rule handles.
//
// How each behaviour maps onto the sets (ifname = bridge interface name):
// - isolation: forward drops iif in @bridges, oif in @bridges, and
//   (iif . oif) not in @same_bridge, i.e. between two different cnm bridges.
// - internal: forward drops anything entering or leaving an @internal bridge
//   unless it stays on that same bridge; input drops packets from an
//   @internal bridge to the host's addresses other than the bridge's own
//   (the gateway), so the host's other networks are out of reach too.
// - masquerade: postrouting masquerades saddr in @masq_v4 whose (saddr . oif)
//   is not in @own_bridge_v4 (= it leaves through another interface than the
//   bridge of its own subnet). Same for v6. @own_bridge_v4 lists the
//   (subnet . bridge) of every network, @masq_v4 the masquerading subnets.
// - published ports: prerouting and output DNAT when the destination is a
//   local address, looked up first in the host-address-bound maps, then in
//   the any-address maps. Connections that were DNATed pass isolation (Docker
//   makes published ports reachable from other networks too).
// - hairpin: postrouting masquerades DNATed connections that leave through
//   the bridge of their source subnet, so the reply comes back through the
//   host. (A container reaching its OWN published port also needs hairpin
//   mode on its bridge port when br_netfilter is loaded: the driver's job.)
// - loopback: connections from 127.0.0.0/8 leaving through a cnm bridge
//   (only DNATed ones can) are masqueraded; the driver sets route_localnet
//   on the bridge. Not possible for ::1, which the kernel never routes out.
// - icc=false, two places: (1) the bridge table's forward hook, which sees
//   port-to-port frames (traffic to the gateway takes the input path and is
//   untouched), drops IP packets whose source and destination are both in
//   the same no-icc subnet. It keys on subnets rather than `meta ibrname`
//   because bridge meta keys need CONFIG_NFT_BRIDGE_META, which kernels (like
//   this machine's) may lack. It accepts `meta pkttype host` first: that is a
//   frame sent to the bridge's own MAC that br_netfilter DNATed to a
//   container on the same bridge (a published-port hairpin), which Docker
//   allows under icc=false. (2) inet forward drops iif=oif=no-icc bridge,
//   which catches the routed detour (a container sending to the gateway's
//   MAC with a neighbour's IP) and br_netfilter's view of bridged frames;
//   DNATed connections are accepted just before it.
import {
  accept,
  concat,
  ct,
  dnatFromMaps,
  drop,
  fibDaddrIsLocal,
  fibDaddrNotOnInputInterface,
  masquerade,
  match,
  meta,
  payload,
  prefix,
  setRef,
  type NftCommand,
  type NftExpr,
  type NftFamily,
  type NftSet,
} from "./nft-json.js";

/** Names of every set and map, so that elements and rules cannot disagree. */
export const SET = {
  bridges: "bridges",
  sameBridge: "same_bridge",
  internal: "internal",
  masqV4: "masq_v4",
  masqV6: "masq_v6",
  ownBridgeV4: "own_bridge_v4",
  ownBridgeV6: "own_bridge_v6",
  dnatAnyV4Addr: "dnat_any_v4_addr",
  dnatAnyV4Port: "dnat_any_v4_port",
  dnatHostV4Addr: "dnat_host_v4_addr",
  dnatHostV4Port: "dnat_host_v4_port",
  dnatAnyV6Addr: "dnat_any_v6_addr",
  dnatAnyV6Port: "dnat_any_v6_port",
  dnatHostV6Addr: "dnat_host_v6_addr",
  dnatHostV6Port: "dnat_host_v6_port",
  noIcc: "no_icc",
  noIccV4: "no_icc_v4",
  noIccV6: "no_icc_v6",
} as const;

export type SetName = (typeof SET)[keyof typeof SET];

/** Key/data types of one set or map, and which table it lives in. */
export interface SetSchema {
  family: NftFamily;
  name: SetName;
  type: string | string[];
  map?: string;
  interval?: boolean;
}

const PROTO_PORT = ["inet_proto", "inet_service"];

export const SET_SCHEMAS: readonly SetSchema[] = [
  { family: "inet", name: SET.bridges, type: "ifname" },
  { family: "inet", name: SET.sameBridge, type: ["ifname", "ifname"] },
  { family: "inet", name: SET.internal, type: "ifname" },
  { family: "inet", name: SET.noIcc, type: "ifname" },
  { family: "inet", name: SET.masqV4, type: "ipv4_addr", interval: true },
  { family: "inet", name: SET.masqV6, type: "ipv6_addr", interval: true },
  { family: "inet", name: SET.ownBridgeV4, type: ["ipv4_addr", "ifname"], interval: true },
  { family: "inet", name: SET.ownBridgeV6, type: ["ipv6_addr", "ifname"], interval: true },
  { family: "inet", name: SET.dnatAnyV4Addr, type: PROTO_PORT, map: "ipv4_addr" },
  { family: "inet", name: SET.dnatAnyV4Port, type: PROTO_PORT, map: "inet_service" },
  { family: "inet", name: SET.dnatHostV4Addr, type: ["ipv4_addr", ...PROTO_PORT], map: "ipv4_addr" },
  { family: "inet", name: SET.dnatHostV4Port, type: ["ipv4_addr", ...PROTO_PORT], map: "inet_service" },
  { family: "inet", name: SET.dnatAnyV6Addr, type: PROTO_PORT, map: "ipv6_addr" },
  { family: "inet", name: SET.dnatAnyV6Port, type: PROTO_PORT, map: "inet_service" },
  { family: "inet", name: SET.dnatHostV6Addr, type: ["ipv6_addr", ...PROTO_PORT], map: "ipv6_addr" },
  { family: "inet", name: SET.dnatHostV6Port, type: ["ipv6_addr", ...PROTO_PORT], map: "inet_service" },
  { family: "bridge", name: SET.noIccV4, type: ["ipv4_addr", "ipv4_addr"], interval: true },
  { family: "bridge", name: SET.noIccV6, type: ["ipv6_addr", "ipv6_addr"], interval: true },
];

export function schemaOf(name: SetName): SetSchema {
  const s = SET_SCHEMAS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown set ${name}`);
  return s;
}

interface ChainSchema {
  family: NftFamily;
  name: string;
  type: "filter" | "nat";
  hook: "prerouting" | "input" | "forward" | "output" | "postrouting";
  prio: number;
  rules: NftExpr[][];
}

// Standard priorities: dstnat -100, filter 0, srcnat 100.
const PRIO_DSTNAT = -100;
const PRIO_FILTER = 0;
const PRIO_SRCNAT = 100;

const iifOif = concat(meta("iifname"), meta("oifname"));
const notSameBridge = match("!=", iifOif, setRef(SET.sameBridge));
const l4protoDport = concat(meta("l4proto"), payload("th", "dport"));

/** DNAT rules shared by prerouting (from outside) and output (from the host). */
const dnatRules: NftExpr[][] = [
  [
    match("==", meta("nfproto"), "ipv4"),
    fibDaddrIsLocal,
    dnatFromMaps("ip", concat(payload("ip", "daddr"), meta("l4proto"), payload("th", "dport")), SET.dnatHostV4Addr, SET.dnatHostV4Port),
  ],
  [match("==", meta("nfproto"), "ipv4"), fibDaddrIsLocal, dnatFromMaps("ip", l4protoDport, SET.dnatAnyV4Addr, SET.dnatAnyV4Port)],
  [
    match("==", meta("nfproto"), "ipv6"),
    fibDaddrIsLocal,
    dnatFromMaps("ip6", concat(payload("ip6", "daddr"), meta("l4proto"), payload("th", "dport")), SET.dnatHostV6Addr, SET.dnatHostV6Port),
  ],
  [match("==", meta("nfproto"), "ipv6"), fibDaddrIsLocal, dnatFromMaps("ip6", l4protoDport, SET.dnatAnyV6Addr, SET.dnatAnyV6Port)],
];

const CHAINS: readonly ChainSchema[] = [
  { family: "inet", name: "prerouting", type: "nat", hook: "prerouting", prio: PRIO_DSTNAT, rules: dnatRules },
  { family: "inet", name: "output", type: "nat", hook: "output", prio: PRIO_DSTNAT, rules: dnatRules },
  {
    family: "inet",
    name: "postrouting",
    type: "nat",
    hook: "postrouting",
    prio: PRIO_SRCNAT,
    rules: [
      // Hairpin: DNATed and leaving through the bridge of its own source
      // subnet. Keyed on (saddr . oif), not (iif . oif): when br_netfilter
      // bridges a DNATed frame back onto its bridge, postrouting has no
      // input interface.
      [match("in", ct("status"), "dnat"), match("==", concat(payload("ip", "saddr"), meta("oifname")), setRef(SET.ownBridgeV4)), masquerade],
      [match("in", ct("status"), "dnat"), match("==", concat(payload("ip6", "saddr"), meta("oifname")), setRef(SET.ownBridgeV6)), masquerade],
      // Host -> 127.0.0.1:published port, DNATed to a container.
      [match("==", payload("ip", "saddr"), prefix("127.0.0.0", 8)), match("==", meta("oifname"), setRef(SET.bridges)), masquerade],
      [
        match("==", payload("ip", "saddr"), setRef(SET.masqV4)),
        match("!=", concat(payload("ip", "saddr"), meta("oifname")), setRef(SET.ownBridgeV4)),
        masquerade,
      ],
      [
        match("==", payload("ip6", "saddr"), setRef(SET.masqV6)),
        match("!=", concat(payload("ip6", "saddr"), meta("oifname")), setRef(SET.ownBridgeV6)),
        masquerade,
      ],
    ],
  },
  {
    family: "inet",
    name: "forward",
    type: "filter",
    hook: "forward",
    prio: PRIO_FILTER,
    rules: [
      // Replies and the rest of allowed flows skip the checks below.
      [match("in", ct("state"), ["established", "related"]), accept],
      [match("==", meta("iifname"), setRef(SET.internal)), notSameBridge, drop],
      [match("==", meta("oifname"), setRef(SET.internal)), notSameBridge, drop],
      // Published ports are reachable from other networks (after internal),
      // and from the same bridge under icc=false (as Docker allows).
      [match("in", ct("status"), "dnat"), accept],
      // icc=false, routed path: a container sending to the gateway's MAC but
      // another container's IP would otherwise be routed back onto the bridge
      // (and with br_netfilter, bridged frames show up here as iif=oif=bridge too).
      [match("==", meta("iifname"), setRef(SET.noIcc)), match("==", iifOif, setRef(SET.sameBridge)), drop],
      [match("==", meta("iifname"), setRef(SET.bridges)), match("==", meta("oifname"), setRef(SET.bridges)), notSameBridge, drop],
    ],
  },
  {
    family: "inet",
    name: "input",
    type: "filter",
    hook: "input",
    prio: PRIO_FILTER,
    rules: [
      // Internal networks reach their gateway and nothing else of the host.
      // Only unicast to another local address is dropped: multicast and
      // broadcast (IPv6 neighbour discovery, ARP's IP side) must still work.
      [match("==", meta("iifname"), setRef(SET.internal)), fibDaddrIsLocal, fibDaddrNotOnInputInterface, drop],
    ],
  },
  {
    family: "bridge",
    name: "forward",
    type: "filter",
    hook: "forward",
    prio: PRIO_FILTER,
    rules: [
      // pkttype host: a frame sent to the bridge's own MAC that br_netfilter
      // DNATed to a container on the same bridge (a published-port hairpin)
      // and then bridged instead of routed. Without br_netfilter such frames
      // never reach this hook; ordinary port-to-port frames are "otherhost".
      [match("==", meta("pkttype"), "host"), accept],
      [match("==", concat(payload("ip", "saddr"), payload("ip", "daddr")), setRef(SET.noIccV4)), drop],
      [match("==", concat(payload("ip6", "saddr"), payload("ip6", "daddr")), setRef(SET.noIccV6)), drop],
    ],
  },
];

export const FAMILIES: readonly NftFamily[] = ["inet", "bridge"];

/**
 * Commands that (re)create both tables from scratch in the same transaction:
 * `add table` first so that the `delete table` after it cannot fail when the
 * table is missing, then everything anew. Elements are appended by the caller
 * in the same batch.
 */
export function skeletonCommands(tableName: string): NftCommand[] {
  const cmds: NftCommand[] = [];
  for (const family of FAMILIES) {
    cmds.push({ add: { table: { family, name: tableName } } });
    cmds.push({ delete: { table: { family, name: tableName } } });
    cmds.push({ add: { table: { family, name: tableName } } });
  }
  for (const s of SET_SCHEMAS) {
    const set: NftSet = { family: s.family, table: tableName, name: s.name, type: s.type };
    if (s.interval) set.flags = ["interval"];
    if (s.map !== undefined) cmds.push({ add: { map: { ...set, map: s.map } } });
    else cmds.push({ add: { set } });
  }
  for (const c of CHAINS) {
    cmds.push({
      add: { chain: { family: c.family, table: tableName, name: c.name, type: c.type, hook: c.hook, prio: c.prio, policy: "accept" } },
    });
    for (const expr of c.rules) cmds.push({ add: { rule: { family: c.family, table: tableName, chain: c.name, expr } } });
  }
  return cmds;
}

/** Commands deleting both tables, succeeding whether or not they exist. */
export function deleteTablesCommands(tableName: string): NftCommand[] {
  return FAMILIES.flatMap((family): NftCommand[] => [
    { add: { table: { family, name: tableName } } },
    { delete: { table: { family, name: tableName } } },
  ]);
}

/** What a healthy table holds: rule count per chain; used to detect tampering. */
export function expectedRuleCounts(family: NftFamily): Map<string, number> {
  return new Map(CHAINS.filter((c) => c.family === family).map((c) => [c.name, c.rules.length]));
}
