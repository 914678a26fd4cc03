// `cnm sandbox ...`: sandboxes stand where docker has containers (a network
// namespace with hosts and resolv.conf, no process), so these mirror the
// network side of `docker create/ps/inspect/rm/exec`.

import { existsSync } from "node:fs";
import { UsageError } from "../cmdline/index.js";
import { errorText } from "../log/index.js";
import { listFlag, stringFlag } from "./args.js";
import type { ApiSandbox, ApiSandboxCreated } from "./api-types.js";
import { ApiError, seg } from "./client.js";
import type { Command } from "./command.js";
import { forEachRef } from "./each-ref.js";
import { parseAddHost, parseAddress, parsePublish } from "./flag-values.js";
import { execInteractive } from "./netns-exec.js";
import { FORMAT_FLAG, printJsonArray, printJsonLines, readFormat } from "./output-format.js";
import { formatFields, formatTable, shortId } from "./table.js";

const create: Command = {
  path: ["sandbox", "create"],
  usage: "[OPTIONS] NAME",
  summary: "Create a sandbox (a network namespace); prints its ID",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: "hostname", type: "string", valueName: "string", description: "Hostname in the sandbox's hosts file" },
    { name: "domainname", type: "string", valueName: "string", description: "Domain name" },
    { name: "dns", type: "string", multiple: true, valueName: "IP", description: "DNS server for resolv.conf" },
    { name: "dns-search", type: "string", multiple: true, valueName: "domain", description: "DNS search domain" },
    { name: "add-host", type: "string", multiple: true, valueName: "name:ip", description: "Add a line to the hosts file" },
    { name: "publish", short: "p", type: "string", multiple: true, valueName: "[IP:]HOST:CONTAINER[/PROTO]", description: "Publish a port to the host" },
    { name: "network", type: "string", valueName: "string", description: '"host", "none", or a network to connect the sandbox to' },
  ],
  async run(ctx, args) {
    const name = args.positionals[0]!;
    const dns = listFlag(args, "dns");
    for (const ip of dns) parseAddress(ip, "dns");
    const network = stringFlag(args, "network");
    if (network === "") throw new UsageError("--network needs a value");
    const body: Record<string, unknown> = {
      Name: name,
      Hostname: stringFlag(args, "hostname") ?? "",
      Domainname: stringFlag(args, "domainname") ?? "",
      Dns: dns,
      DnsSearch: listFlag(args, "dns-search"),
      ExtraHosts: listFlag(args, "add-host").map(parseAddHost),
      PortBindings: parsePublish(listFlag(args, "publish")),
    };
    const joinNetwork = network !== undefined && network !== "host" && network !== "none" && network !== "default" ? network : undefined;
    // Without --network the sandbox is made on no network, ready to be connected.
    body.NetworkMode = network === undefined ? "none" : joinNetwork === undefined ? network : "none";
    const client = ctx.client();
    const created = await client.post<ApiSandboxCreated>("/sandboxes/create", body);
    if (joinNetwork !== undefined) {
      // docker run --network NAME: create, then connect; a sandbox that
      // cannot join is removed rather than left half made.
      try {
        await client.post(`/networks/${seg(joinNetwork)}/connect`, { Container: created.Id, EndpointConfig: {} });
      } catch (err) {
        // The connect's error is the one to report; a sandbox that could not
        // be removed either is said so, as the user has one to clean up.
        await client.delete(`/sandboxes/${seg(created.Id)}`).catch((removeErr: unknown) => {
          ctx.io.err(`cnm: sandbox ${name} stays, half made: removing it failed: ${errorText(removeErr)}`);
        });
        throw err;
      }
    }
    ctx.io.out(created.Id);
    return 0;
  },
};

const ls: Command = {
  path: ["sandbox", "ls"],
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List sandboxes",
  minArgs: 0,
  maxArgs: 0,
  flags: [
    FORMAT_FLAG,
    { name: "quiet", short: "q", type: "boolean", description: "Only display sandbox IDs" },
    { name: "no-trunc", type: "boolean", description: "Do not truncate the output" },
  ],
  async run(ctx, args) {
    const format = readFormat(args);
    const sandboxes = (await ctx.client().get<ApiSandbox[]>("/sandboxes")).sort((a, b) => a.Name.localeCompare(b.Name));
    const id = (s: ApiSandbox) => (args.flags.get("no-trunc") === true ? s.Id : shortId(s.Id));
    if (args.flags.get("quiet") === true) {
      for (const s of sandboxes) ctx.io.out(id(s));
    } else if (format === "json") {
      printJsonLines(ctx.io, sandboxes);
    } else {
      const rows = sandboxes.map((s) => [id(s), s.Name, networkNames(s).join(",") || (s.NetworkMode === "host" ? "host" : ""), formatPorts(s).join(", ")]);
      ctx.io.out(formatTable(["SANDBOX ID", "NAME", "NETWORKS", "PORTS"], rows).join("\n"));
    }
    return 0;
  },
};

function networkNames(s: ApiSandbox): string[] {
  return Object.keys(s.Networks ?? {}).sort();
}

/** docker ps's PORTS column: "0.0.0.0:8080->80/tcp", or "80/tcp" when nothing is bound. */
export function formatPorts(s: ApiSandbox): string[] {
  const out: string[] = [];
  for (const [port, bindings] of Object.entries(s.Ports ?? {}).sort(([a], [b]) => comparePortKeys(a, b))) {
    if (!bindings || bindings.length === 0) {
      out.push(port);
      continue;
    }
    for (const b of bindings) {
      const ip = b.HostIp ? (b.HostIp.includes(":") ? `[${b.HostIp}]` : b.HostIp) : "0.0.0.0";
      out.push(b.HostPort ? `${ip}:${b.HostPort}->${port}` : port);
    }
  }
  return out;
}

function comparePortKeys(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
}

const inspect: Command = {
  path: ["sandbox", "inspect"],
  usage: "[OPTIONS] NAME [NAME...]",
  summary: "Display detailed information on one or more sandboxes",
  minArgs: 1,
  maxArgs: Infinity,
  flags: [FORMAT_FLAG],
  async run(ctx, args) {
    const format = readFormat(args);
    const { results, exitCode } = await forEachRef(ctx.io, args.positionals, (ref) => ctx.client().get<ApiSandbox>(`/sandboxes/${seg(ref)}`));
    if (format === "json") printJsonArray(ctx.io, results);
    else if (results.length > 0) ctx.io.out(results.map(describeSandbox).join("\n\n"));
    return exitCode;
  },
};

/** The readable form of a sandbox's inspect data. */
export function describeSandbox(s: ApiSandbox): string {
  const lines = formatFields([
    ["Name", s.Name],
    ["ID", s.Id],
    ["Created", s.Created ?? ""],
    ["Key", s.Key],
    ["Hostname", s.Hostname ?? ""],
    ["HostsPath", s.HostsPath ?? ""],
    ["ResolvConfPath", s.ResolvConfPath ?? ""],
    ["Ports", formatPorts(s).join(", ")],
  ]);
  const nets = Object.entries(s.Networks ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (nets.length === 0) {
    lines.push("Networks: none");
  } else {
    lines.push("Networks:");
    const rows = nets.map(([name, e]) => [
      name,
      shortId(e.EndpointID ?? ""),
      e.IPAddress ? `${e.IPAddress}/${e.IPPrefixLen ?? ""}` : "",
      e.Gateway ?? "",
      e.GlobalIPv6Address ? `${e.GlobalIPv6Address}/${e.GlobalIPv6PrefixLen ?? ""}` : "",
      e.MacAddress ?? "",
    ]);
    for (const line of formatTable(["NETWORK", "ENDPOINT ID", "IPV4 ADDRESS", "GATEWAY", "IPV6 ADDRESS", "MAC ADDRESS"], rows)) lines.push(`  ${line}`);
  }
  return lines.join("\n");
}

const rm: Command = {
  path: ["sandbox", "rm"],
  aliases: ["remove"],
  usage: "NAME [NAME...]",
  summary: "Remove one or more sandboxes (disconnecting them from every network)",
  minArgs: 1,
  maxArgs: Infinity,
  flags: [],
  async run(ctx, args) {
    const { exitCode } = await forEachRef(ctx.io, args.positionals, async (ref) => {
      await ctx.client().delete(`/sandboxes/${seg(ref)}`);
      ctx.io.out(ref);
    });
    return exitCode;
  },
};

const exec: Command = {
  path: ["sandbox", "exec"],
  usage: "NAME [--] COMMAND [ARG...]",
  summary: "Run a command in a sandbox's network namespace (seeing its hosts and resolv.conf); exits with the command's exit code",
  minArgs: 2,
  maxArgs: Infinity,
  flags: [],
  // Flags after NAME belong to the command (`cnm sandbox exec web ip -br addr`).
  parseOptions: { stopAtFirstPositional: true },
  async run(ctx, args) {
    const [name, ...rest] = args.positionals as [string, ...string[]];
    const command = rest[0] === "--" ? rest.slice(1) : rest;
    if (command.length === 0) throw new UsageError(`"cnm sandbox exec" requires a command after the sandbox name`);
    let sandbox: ApiSandbox;
    try {
      sandbox = await ctx.client().get<ApiSandbox>(`/sandboxes/${seg(name)}`);
    } finally {
      // The command may run for long: no idle connection to the daemon meanwhile.
      ctx.client().close();
    }
    // The command sees the sandbox's hosts and resolv.conf, as a container's processes would.
    const files =
      sandbox.HostsPath && sandbox.ResolvConfPath && existsSync(sandbox.HostsPath) && existsSync(sandbox.ResolvConfPath)
        ? { hostsPath: sandbox.HostsPath, resolvConfPath: sandbox.ResolvConfPath }
        : undefined;
    // A host-network sandbox is the host's namespace, which is cnm's own: no
    // need to open another process's namespace (which may not be allowed).
    if (sandbox.NetworkMode === "host") return execInteractive(null, command, files);
    if (!sandbox.Key) throw new ApiError(500, `sandbox ${name} has no namespace path`);
    return execInteractive(sandbox.Key, command, files);
  },
};

export const sandboxCommands: readonly Command[] = [create, ls, inspect, rm, exec];
