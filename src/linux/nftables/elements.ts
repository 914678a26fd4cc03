// Declared state -> the elements every set and map should hold, and the
// element-only batch that turns one such picture into another. Because every
// network and port mapping is nothing but elements (see ruleset.ts), a
// mutation is a diff of two pictures, whatever the mutation was: no special
// case per operation, and identical elements needed by two networks are
// naturally kept until neither needs them.
import { effectiveHostIP, type DeclaredState, type IPSubnet } from "./model.js";
import { concat, prefix, type NftCommand, type NftExpr } from "./nft-json.js";
import { SET, schemaOf, type SetName } from "./ruleset.js";

/** One set element, or one map entry. */
export interface Element {
  set: SetName;
  key: NftExpr;
  /** Map data; absent for plain sets. */
  value?: NftExpr;
}

/** Elements by identity (set + key + value), so that a changed value is a delete plus an add. */
export type ElementPicture = Map<string, Element>;

const subnetExpr = (s: IPSubnet): NftExpr => prefix(s.address, s.prefixLength);

function put(pic: ElementPicture, e: Element): void {
  pic.set(JSON.stringify([e.set, e.key, e.value ?? null]), e);
}

/** Every element the declared state needs. */
export function renderElements(state: DeclaredState): ElementPicture {
  const pic: ElementPicture = new Map();
  for (const n of state.networks.values()) {
    const br = n.bridge;
    put(pic, { set: SET.bridges, key: br });
    put(pic, { set: SET.sameBridge, key: concat(br, br) });
    if (n.internal) put(pic, { set: SET.internal, key: br });
    if (!n.icc) put(pic, { set: SET.noIcc, key: br });
    for (const s of n.subnets) {
      put(pic, { set: s.family === 4 ? SET.ownBridgeV4 : SET.ownBridgeV6, key: concat(subnetExpr(s), br) });
      if (n.masquerade && !n.internal) put(pic, { set: s.family === 4 ? SET.masqV4 : SET.masqV6, key: subnetExpr(s) });
      if (!n.icc) put(pic, { set: s.family === 4 ? SET.noIccV4 : SET.noIccV6, key: concat(subnetExpr(s), subnetExpr(s)) });
    }
  }
  for (const m of state.mappings.values()) {
    const host = effectiveHostIP(m, state.networks.get(m.networkId));
    const v4 = m.family === 4;
    const [addrMap, portMap] = host
      ? v4
        ? [SET.dnatHostV4Addr, SET.dnatHostV4Port]
        : [SET.dnatHostV6Addr, SET.dnatHostV6Port]
      : v4
        ? [SET.dnatAnyV4Addr, SET.dnatAnyV4Port]
        : [SET.dnatAnyV6Addr, SET.dnatAnyV6Port];
    const key = host ? concat(host.text, m.proto, m.hostPort) : concat(m.proto, m.hostPort);
    put(pic, { set: addrMap, key, value: m.containerIP.text });
    put(pic, { set: portMap, key, value: m.containerPort });
  }
  return pic;
}

function elementCommand(op: "add" | "delete", tableName: string, set: SetName, elems: Element[]): NftCommand {
  const schema = schemaOf(set);
  // Deleting a map entry names its key only.
  const elem = elems.map((e) => (op === "add" && e.value !== undefined ? [e.key, e.value] : e.key));
  const element = { family: schema.family, table: tableName, name: set, elem };
  return op === "add" ? { add: { element } } : { delete: { element } };
}

function groupBySet(elems: Iterable<Element>): Map<SetName, Element[]> {
  const out = new Map<SetName, Element[]>();
  for (const e of elems) {
    const list = out.get(e.set);
    if (list) list.push(e);
    else out.set(e.set, [e]);
  }
  return out;
}

/** Commands adding every element of a picture (after a skeleton, for restore). */
export function addAllCommands(tableName: string, pic: ElementPicture): NftCommand[] {
  return [...groupBySet(pic.values())].map(([set, elems]) => elementCommand("add", tableName, set, elems));
}

/**
 * Commands turning `from` into `to`: all deletions first, then additions, so
 * a map entry whose value changed is removed before its replacement lands.
 */
export function diffCommands(tableName: string, from: ElementPicture, to: ElementPicture): NftCommand[] {
  const removed = [...from].filter(([id]) => !to.has(id)).map(([, e]) => e);
  const added = [...to].filter(([id]) => !from.has(id)).map(([, e]) => e);
  return [
    ...[...groupBySet(removed)].map(([set, elems]) => elementCommand("delete", tableName, set, elems)),
    ...[...groupBySet(added)].map(([set, elems]) => elementCommand("add", tableName, set, elems)),
  ];
}

/** How many elements each set should hold; used to detect tampering. */
export function elementCounts(pic: ElementPicture): Map<SetName, number> {
  const out = new Map<SetName, number>();
  for (const e of pic.values()) out.set(e.set, (out.get(e.set) ?? 0) + 1);
  return out;
}
