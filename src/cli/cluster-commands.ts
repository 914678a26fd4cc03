// `cnm cluster ...`: what this host's NetworkDB knows of the cluster (cnm's own /cluster routes).

import type { ClusterEntryView, ClusterMemberView, ClusterNetworkView } from "../api/cluster-routes.js";
import type { ApiNetwork } from "./api-types.js";
import { seg } from "./client.js";
import type { Command } from "./command.js";
import { FORMAT_FLAG, printListing, readFormat } from "./output-format.js";
import { shortId } from "./table.js";

interface ClusterSelf {
  NodeName: string;
  NodeID: string;
  Addr: string;
  Members: ClusterMemberView[];
}

const members: Command = {
  path: ["cluster", "members"],
  usage: "[OPTIONS]",
  summary: "List the hosts of the cluster, as this host's gossip sees them",
  minArgs: 0,
  maxArgs: 0,
  flags: [FORMAT_FLAG],
  async run(ctx, args) {
    const format = readFormat(args);
    const self = await ctx.client().get<ClusterSelf>("/cluster");
    const list = [...self.Members]
      .sort((a, b) => a.Addr.localeCompare(b.Addr, undefined, { numeric: true }))
      .map((m) => ({ ...m, Self: m.NodeID === self.NodeID }));
    printListing(ctx.io, format, list, ["NODE ID", "ADDRESS", "STATE", "NETWORKDB"], (m) => [m.Self ? `${m.NodeID} *` : m.NodeID, m.Addr, m.State, m.NetworkDBState]);
    return 0;
  },
};

const networks: Command = {
  path: ["cluster", "networks"],
  usage: "[OPTIONS]",
  summary: "List the global networks this host takes part in, with their hosts",
  minArgs: 0,
  maxArgs: 0,
  flags: [FORMAT_FLAG],
  async run(ctx, args) {
    const format = readFormat(args);
    const client = ctx.client();
    const [joined, all] = await Promise.all([client.get<ClusterNetworkView[]>("/cluster/networks"), client.get<ApiNetwork[]>("/networks")]);
    const names = new Map(all.map((n) => [n.Id, n.Name]));
    const list = joined.map((n) => ({ ...n, Name: names.get(n.ID) ?? "" })).sort((a, b) => a.Name.localeCompare(b.Name));
    printListing(ctx.io, format, list, ["NETWORK ID", "NAME", "HOSTS", "ENTRIES", "NODES"], (n) => [
      shortId(n.ID),
      n.Name,
      String(n.Nodes.length),
      String(n.Entries),
      n.Nodes.join(","),
    ]);
    return 0;
  },
};

const table: Command = {
  path: ["cluster", "table"],
  usage: "[OPTIONS] NETWORK TABLE",
  summary: "List a gossip table of a network (overlay peer and name records decoded; other values as base64)",
  minArgs: 2,
  maxArgs: 2,
  flags: [FORMAT_FLAG],
  async run(ctx, args) {
    const format = readFormat(args);
    const [network, tableName] = args.positionals as [string, string];
    const entries = await ctx.client().get<ClusterEntryView[]>(`/cluster/networks/${seg(network)}/tables/${seg(tableName)}`);
    const shown = (e: ClusterEntryView) => (e.Decoded === undefined ? e.Value : describeDecoded(e.Decoded));
    printListing(ctx.io, format, entries, ["KEY", "OWNER", "VALUE"], (e) => [shortId(e.Key), e.Owner, shown(e)]);
    return 0;
  },
};

/** A decoded record in one line: "field=value field=value". */
function describeDecoded(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

export const clusterCommands: readonly Command[] = [members, networks, table];
