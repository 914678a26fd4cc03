import type { NetworkRecord } from "../controllerapi/index.js";
import { badRequest, printable } from "./http-errors.js";
import { matchesLabels, type Filters } from "./filters.js";
import { goFilter } from "./go-regexp.js";
import { PREDEFINED_NETWORKS } from "./network-create.js";
import { parseTimeFilter } from "./timestamp.js";

/** Filter keys of GET /networks and of POST /networks/prune, as Docker accepts them. */
export const LIST_FILTERS = ["dangling", "driver", "id", "label", "name", "scope", "type"] as const;
export const PRUNE_FILTERS = ["label", "label!", "until"] as const;

/** What a filter needs to know of a network besides its record. */
export interface NetworkFacts {
  readonly net: Readonly<NetworkRecord>;
  /** Endpoints on it (Docker's "has container attachments"). */
  readonly endpoints: number;
}

export interface NetworkPredicate {
  (n: NetworkFacts): boolean;
}

export const isPredefined = (name: string): boolean => PREDEFINED_NETWORKS.includes(name);

/** Docker's network list filter (daemon/network/filter.go): every given key must hold. */
export function listPredicate(f: Filters): NetworkPredicate {
  const dangling = f.get("dangling");
  let danglingOnly: boolean | undefined;
  if (dangling) {
    if (dangling.length !== 1) throw badRequest(`got more than one value for filter key "dangling"`);
    if (["1", "true"].includes(dangling[0]!)) danglingOnly = true;
    else if (["0", "false"].includes(dangling[0]!)) danglingOnly = false;
    else throw badRequest(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
  }
  const types = f.get("type");
  for (const t of types ?? []) if (t !== "builtin" && t !== "custom") throw badRequest(`invalid filter: 'type'='${printable(t)}'`);
  // Compiled once for the whole listing, not once per network.
  const name = f.get("name");
  const nameMatch = name && goFilter(name);
  const id = f.get("id");
  const idMatch = id && goFilter(id);
  return ({ net, endpoints }) => {
    const driver = f.get("driver");
    if (driver && !driver.includes(net.driver)) return false;
    if (nameMatch && !nameMatch(net.name)) return false;
    if (idMatch && !idMatch(net.id)) return false;
    const label = f.get("label");
    if (label && !matchesLabels(label, net.labels)) return false;
    const scope = f.get("scope");
    if (scope && !scope.includes(net.scope)) return false;
    if (danglingOnly !== undefined) {
      const inUse = isPredefined(net.name) || endpoints > 0;
      if (danglingOnly === inUse) return false;
    }
    if (types && !types.some((t) => (t === "builtin") === isPredefined(net.name))) return false;
    return true;
  };
}

/** Docker's prune filter: unused, not predefined, and matching label / label! / until. */
export function prunePredicate(f: Filters, nowMs: number): NetworkPredicate {
  const until = f.get("until");
  if (until && until.length > 1) throw badRequest("more than one until filter specified");
  const untilMs = until ? parseTimeFilter(until[0]!, nowMs) : undefined;
  return ({ net, endpoints }) => {
    if (isPredefined(net.name) || endpoints > 0) return false;
    const label = f.get("label");
    if (label && !matchesLabels(label, net.labels)) return false;
    const notLabel = f.get("label!");
    if (notLabel && matchesLabels(notLabel, net.labels)) return false;
    if (untilMs !== undefined && Date.parse(net.created) > untilMs) return false;
    return true;
  };
}

