// `cnm network ...`: docker's network commands, flag for flag, over the API.

import { UsageError } from "../cmdline/index.js";
import { boolFlag, listFlag, stringFlag } from "./args.js";
import type { ApiNetwork, ApiNetworkCreated, ApiPrune } from "./api-types.js";
import { ApiError, seg } from "./client.js";
import type { Command } from "./command.js";
import { forEachRef } from "./each-ref.js";
import { buildIpamConfig, parseAddress, parseFilters, parseKeyValues } from "./flag-values.js";
import { FORMAT_FLAG, joinMap, printJsonArray, printJsonLines, readFormat } from "./output-format.js";
import { formatFields, formatTable, shortId } from "./table.js";

const create: Command = {
  path: ["network", "create"],
  usage: "[OPTIONS] NETWORK",
  summary: "Create a network",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: "driver", short: "d", type: "string", valueName: "string", description: 'Driver to manage the network (default "bridge")' },
    { name: "subnet", type: "string", multiple: true, valueName: "CIDR", description: "Subnet in CIDR format" },
    { name: "ip-range", type: "string", multiple: true, valueName: "CIDR", description: "Allocate addresses from a sub-range" },
    { name: "gateway", type: "string", multiple: true, valueName: "IP", description: "Gateway for the subnet" },
    { name: "aux-address", type: "string", multiple: true, valueName: "name=ip", description: "Auxiliary address the driver must not hand out" },
    { name: "internal", type: "boolean", description: "Restrict external access to the network" },
    { name: "ipv6", type: "boolean", description: "Enable IPv6 networking" },
    { name: "attachable", type: "boolean", description: "Enable manual attachment" },
    { name: "ipam-driver", type: "string", valueName: "string", description: 'IP address management driver (default "default")' },
    { name: "ipam-opt", type: "string", multiple: true, valueName: "k=v", description: "IPAM driver option" },
    { name: "opt", short: "o", type: "string", multiple: true, valueName: "k=v", description: "Driver option" },
    { name: "label", type: "string", multiple: true, valueName: "k=v", description: "Metadata on the network" },
  ],
  async run(ctx, args) {
    const name = args.positionals[0]!;
    const config = buildIpamConfig(listFlag(args, "subnet"), listFlag(args, "ip-range"), listFlag(args, "gateway"), listFlag(args, "aux-address"));
    const body = {
      Name: name,
      Driver: stringFlag(args, "driver") ?? "bridge",
      EnableIPv6: boolFlag(args, "ipv6"),
      IPAM: {
        Driver: stringFlag(args, "ipam-driver") ?? "default",
        Config: config,
        Options: parseKeyValues(listFlag(args, "ipam-opt"), "ipam-opt"),
      },
      Internal: boolFlag(args, "internal"),
      Attachable: boolFlag(args, "attachable"),
      Options: parseKeyValues(listFlag(args, "opt"), "opt"),
      Labels: parseKeyValues(listFlag(args, "label"), "label"),
    };
    const created = await ctx.client().post<ApiNetworkCreated>("/networks/create", body);
    if (created.Warning) ctx.io.err(`WARNING: ${created.Warning}`);
    ctx.io.out(created.Id);
    return 0;
  },
};

const ls: Command = {
  path: ["network", "ls"],
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List networks",
  minArgs: 0,
  maxArgs: 0,
  flags: [
    { name: "filter", short: "f", type: "string", multiple: true, valueName: "k=v", description: "Filter output (name, id, driver, label, scope, type, dangling)" },
    FORMAT_FLAG,
    { name: "quiet", short: "q", type: "boolean", description: "Only display network IDs" },
    { name: "no-trunc", type: "boolean", description: "Do not truncate the output" },
  ],
  async run(ctx, args) {
    const format = readFormat(args);
    const filters = parseFilters(listFlag(args, "filter"));
    const query = Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : undefined;
    const networks = (await ctx.client().get<ApiNetwork[]>("/networks", query)).sort((a, b) => a.Name.localeCompare(b.Name));
    const id = (n: ApiNetwork) => (boolFlag(args, "no-trunc") ? n.Id : shortId(n.Id));
    if (boolFlag(args, "quiet")) {
      for (const n of networks) ctx.io.out(id(n));
    } else if (format === "json") {
      printJsonLines(ctx.io, networks);
    } else {
      const rows = networks.map((n) => [id(n), n.Name, n.Driver ?? "", n.Scope ?? ""]);
      ctx.io.out(formatTable(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], rows).join("\n"));
    }
    return 0;
  },
};

const inspect: Command = {
  path: ["network", "inspect"],
  usage: "[OPTIONS] NETWORK [NETWORK...]",
  summary: "Display detailed information on one or more networks",
  minArgs: 1,
  maxArgs: Infinity,
  flags: [FORMAT_FLAG, { name: "verbose", short: "v", type: "boolean", description: "Verbose output for diagnostics" }],
  async run(ctx, args) {
    const format = readFormat(args);
    const query = boolFlag(args, "verbose") ? { verbose: "true" } : undefined;
    const { results, exitCode } = await forEachRef(ctx.io, args.positionals, (ref) =>
      ctx.client().get<ApiNetwork>(`/networks/${seg(ref)}`, query),
    );
    if (format === "json") printJsonArray(ctx.io, results);
    else if (results.length > 0) ctx.io.out(results.map(describeNetwork).join("\n\n"));
    return exitCode;
  },
};

/** The readable form of a network's inspect data. */
export function describeNetwork(n: ApiNetwork): string {
  const subnets = (n.IPAM?.Config ?? []).map((c) => {
    const extras = [c.IPRange ? `range ${c.IPRange}` : "", c.Gateway ? `gateway ${c.Gateway}` : "", c.AuxiliaryAddresses ? `aux ${joinMap(c.AuxiliaryAddresses)}` : ""];
    const detail = extras.filter(Boolean).join(", ");
    return detail ? `${c.Subnet ?? "?"} (${detail})` : (c.Subnet ?? "?");
  });
  const lines = formatFields([
    ["Name", n.Name],
    ["ID", n.Id],
    ["Created", n.Created ?? ""],
    ["Driver", n.Driver ?? ""],
    ["Scope", n.Scope ?? ""],
    ["Subnets", subnets.join("; ")],
    ["IPv6", String(n.EnableIPv6 ?? false)],
    ["Internal", String(n.Internal ?? false)],
    ["Attachable", String(n.Attachable ?? false)],
    ["Options", joinMap(n.Options)],
    ["Labels", joinMap(n.Labels)],
  ]);
  const members = Object.entries(n.Containers ?? {}).sort(([, a], [, b]) => (a.Name ?? "").localeCompare(b.Name ?? ""));
  if (members.length === 0) {
    lines.push("Sandboxes: none");
  } else {
    lines.push("Sandboxes:");
    const rows = members.map(([id, c]) => [c.Name ?? "", shortId(id), shortId(c.EndpointID ?? ""), c.IPv4Address ?? "", c.IPv6Address ?? "", c.MacAddress ?? ""]);
    for (const line of formatTable(["NAME", "SANDBOX ID", "ENDPOINT ID", "IPV4 ADDRESS", "IPV6 ADDRESS", "MAC ADDRESS"], rows)) lines.push(`  ${line}`);
  }
  return lines.join("\n");
}

const rm: Command = {
  path: ["network", "rm"],
  aliases: ["remove"],
  usage: "NETWORK [NETWORK...]",
  summary: "Remove one or more networks",
  minArgs: 1,
  maxArgs: Infinity,
  flags: [{ name: "force", short: "f", type: "boolean", description: "Do not error if the network does not exist" }],
  async run(ctx, args) {
    const force = boolFlag(args, "force");
    const { exitCode } = await forEachRef(ctx.io, args.positionals, async (ref) => {
      try {
        await ctx.client().delete(`/networks/${seg(ref)}`);
      } catch (err) {
        if (force && err instanceof ApiError && err.status === 404) return;
        throw err;
      }
      ctx.io.out(ref);
    });
    return exitCode;
  },
};

const connect: Command = {
  path: ["network", "connect"],
  usage: "[OPTIONS] NETWORK SANDBOX",
  summary: "Connect a sandbox to a network",
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: "ip", type: "string", valueName: "string", description: "IPv4 address (e.g. 172.30.100.104)" },
    { name: "ip6", type: "string", valueName: "string", description: "IPv6 address (e.g. 2001:db8::33)" },
    { name: "alias", type: "string", multiple: true, valueName: "string", description: "Network-scoped alias for the sandbox" },
    { name: "driver-opt", type: "string", multiple: true, valueName: "k=v", description: "Driver options for the endpoint" },
    { name: "gw-priority", type: "string", valueName: "int", description: "Priority of this network as the default gateway" },
  ],
  async run(ctx, args) {
    const [net, sandbox] = args.positionals as [string, string];
    const ip = stringFlag(args, "ip");
    const ip6 = stringFlag(args, "ip6");
    if (ip !== undefined && parseAddress(ip, "ip").family !== "ipv4") throw new UsageError(`invalid IPv4 address for --ip: ${ip}`);
    if (ip6 !== undefined && parseAddress(ip6, "ip6").family !== "ipv6") throw new UsageError(`invalid IPv6 address for --ip6: ${ip6}`);
    const priorityText = stringFlag(args, "gw-priority");
    const priority = priorityText === undefined ? undefined : Number(priorityText);
    if (priority !== undefined && !Number.isSafeInteger(priority)) {
      throw new UsageError(`invalid argument "${priorityText}" for "--gw-priority" flag: expected an integer`);
    }
    const endpointConfig: Record<string, unknown> = {
      Aliases: listFlag(args, "alias"),
      DriverOpts: parseKeyValues(listFlag(args, "driver-opt"), "driver-opt"),
    };
    if (ip !== undefined || ip6 !== undefined) endpointConfig.IPAMConfig = { IPv4Address: ip ?? "", IPv6Address: ip6 ?? "" };
    if (priority !== undefined) endpointConfig.GwPriority = priority;
    await ctx.client().post(`/networks/${seg(net)}/connect`, { Container: sandbox, EndpointConfig: endpointConfig });
    return 0;
  },
};

const disconnect: Command = {
  path: ["network", "disconnect"],
  usage: "[OPTIONS] NETWORK SANDBOX",
  summary: "Disconnect a sandbox from a network",
  minArgs: 2,
  maxArgs: 2,
  flags: [{ name: "force", short: "f", type: "boolean", description: "Force the sandbox to disconnect from a network" }],
  async run(ctx, args) {
    const [net, sandbox] = args.positionals as [string, string];
    await ctx.client().post(`/networks/${seg(net)}/disconnect`, { Container: sandbox, Force: boolFlag(args, "force") });
    return 0;
  },
};

const prune: Command = {
  path: ["network", "prune"],
  usage: "[OPTIONS]",
  summary: "Remove all unused networks",
  minArgs: 0,
  maxArgs: 0,
  flags: [
    { name: "force", short: "f", type: "boolean", description: "Do not prompt for confirmation" },
    { name: "filter", type: "string", multiple: true, valueName: "k=v", description: 'Provide filter values (e.g. "until=<timestamp>", "label=k=v")' },
  ],
  async run(ctx, args) {
    if (!boolFlag(args, "force")) {
      const yes = await ctx.confirm(
        "WARNING! This will remove all custom networks not used by at least one sandbox.\nAre you sure you want to continue? [y/N] ",
      );
      if (!yes) {
        ctx.io.err("cnm: network prune has been cancelled");
        return 1;
      }
    }
    const filters = parseFilters(listFlag(args, "filter"));
    const query = Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : undefined;
    const result = await ctx.client().post<ApiPrune>("/networks/prune", undefined, query);
    const deleted = result?.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.io.out(["Deleted Networks:", ...deleted].join("\n"));
    return 0;
  },
};

export const networkCommands: readonly Command[] = [create, ls, inspect, rm, connect, disconnect, prune];
