/**
 * The command paths of libnetwork's networkdb-test server (its diagnostic
 * server with NetworkDB's handlers, the tester's /myip and the dummy
 * client's table watch), with their parameters, checks and messages, so
 * that one driver script runs against a node of either implementation.
 */
import { NetworkDBError, type NetworkDB } from "../networkdb/index.js";
import {
  fail,
  info,
  list,
  networkStats,
  peer,
  render,
  succeed,
  tableEntry,
  wrongCommand,
  type DiagnosticResult,
} from "./diagnostic-result.js";
import { Base64Error, decodeStdBase64, encodeStdBase64 } from "../networkdb/wire/index.js";
import type { TableWatches } from "./table-watches.js";
import { errorText } from "../log/index.js";

/** What a handler sees of a request: its path and its form (query and url-encoded body, as Go's r.Form). */
export interface CommandRequest {
  readonly path: string;
  readonly form: URLSearchParams;
}

/** A structured reply, or raw text (the few Go handlers that print directly). */
export type CommandReply = DiagnosticResult | { readonly raw: string };

export type CommandHandler = (req: CommandRequest) => CommandReply | Promise<CommandReply>;

export interface CommandContext {
  readonly db: NetworkDB;
  readonly advertisedIp: () => string;
  readonly watches: TableWatches;
}

const MISSING = "missing parameter";

/**
 * The dummy client's table-watch commands answer a missing parameter in
 * JSON whatever the request asked for (they hand a JSON option of their
 * own to the reply), so a script sees JSON there from a Go node.
 */
function missingAsJson(usage: string): CommandReply {
  return { raw: render(wrongCommand(MISSING, usage), "json").body };
}

/** Go's `len(r.Form[name]) < 1` test for each name; the first value of each when all are there. */
function params(form: URLSearchParams, ...names: string[]): string[] | null {
  const values: string[] = [];
  for (const name of names) {
    const v = form.get(name);
    if (v === null) return null;
    values.push(v);
  }
  return values;
}

/** `unsafe` in the form: values travel as plain text instead of base64. */
function isUnsafe(form: URLSearchParams): boolean {
  return form.has("unsafe");
}

/**
 * NetworkDB's refusals of a table write, in the words of Go's NetworkDB
 * (what a script driving either node reads); other errors keep their own.
 */
function writeErrorText(op: "create" | "update" | "delete", err: unknown, tname: string, nid: string, key: string): string {
  if (err instanceof NetworkDBError) {
    if (op === "create" && err.code === "exists") {
      return `cannot create entry in table ${tname} with network id ${nid} and key ${key}, already exists`;
    }
    if (op === "update" && err.code === "not-found") {
      return `cannot update entry as the entry in table ${tname} with network id ${nid} and key ${key} does not exist`;
    }
    if (op === "delete" && err.code === "not-found") {
      return `cannot delete entry ${tname} with network id ${nid} and key ${key} does not exist or is already being deleted`;
    }
  }
  return errorText(err);
}

function decodeValue(value: string, unsafe: boolean): Uint8Array {
  return unsafe ? new Uint8Array(Buffer.from(value, "utf8")) : decodeStdBase64(value);
}

function encodeValue(value: Uint8Array, unsafe: boolean): string {
  return unsafe ? Buffer.from(value).toString("utf8") : encodeStdBase64(value);
}

export function networkdbCommands(ctx: CommandContext): Map<string, CommandHandler> {
  const { db, watches } = ctx;
  const commands = new Map<string, CommandHandler>();

  commands.set("/join", async ({ path, form }) => {
    const p = params(form, "members");
    if (p === null) return wrongCommand(MISSING, `${path}?members=ip1,ip2,...`);
    try {
      await db.join(p[0]!.split(","));
      return succeed();
    } catch (err) {
      return fail(`${path} error in the DB join ${errorText(err)}`);
    }
  });

  commands.set("/networkpeers", ({ path, form }) => {
    const p = params(form, "nid");
    if (p === null) return wrongCommand(MISSING, `${path}?nid=test`);
    const peers = db.peers(p[0]!);
    // A network member memberlist does not list as alive is reported as an orphan, as Go does.
    return succeed(list(peers.map((x, i) => peer(i, x.ip === "unknown" ? `orphan-${x.name}` : x.name, x.ip))));
  });

  commands.set("/clusterpeers", () => succeed(list(db.clusterPeers().map((x, i) => peer(i, x.name, x.ip)))));

  commands.set("/joinnetwork", async ({ path, form }) => {
    const p = params(form, "nid");
    if (p === null) return wrongCommand(MISSING, `${path}?nid=network_id`);
    try {
      await db.joinNetwork(p[0]!);
      return succeed();
    } catch (err) {
      return fail(errorText(err));
    }
  });

  commands.set("/leavenetwork", async ({ path, form }) => {
    const p = params(form, "nid");
    if (p === null) return wrongCommand(MISSING, `${path}?nid=network_id`);
    try {
      await db.leaveNetwork(p[0]!);
      return succeed();
    } catch (err) {
      return fail(errorText(err));
    }
  });

  const write = (kind: "create" | "update") => (req: CommandRequest) => {
    const p = params(req.form, "tname", "nid", "key", "value");
    if (p === null) return wrongCommand(MISSING, `${req.path}?tname=table_name&nid=network_id&key=k&value=v`);
    const [tname, nid, key, value] = p as [string, string, string, string];
    try {
      const bytes = decodeValue(value, isUnsafe(req.form));
      if (kind === "create") db.createEntry(tname, nid, key, bytes);
      else db.updateEntry(tname, nid, key, bytes);
      return succeed();
    } catch (err) {
      return fail(err instanceof Base64Error ? err.message : writeErrorText(kind, err, tname, nid, key));
    }
  };
  commands.set("/createentry", write("create"));
  commands.set("/updateentry", write("update"));

  commands.set("/deleteentry", ({ path, form }) => {
    const p = params(form, "tname", "nid", "key");
    if (p === null) return wrongCommand(MISSING, `${path}?tname=table_name&nid=network_id&key=k`);
    const [tname, nid, key] = p as [string, string, string];
    try {
      db.deleteEntry(tname, nid, key);
      return succeed();
    } catch (err) {
      return fail(writeErrorText("delete", err, tname, nid, key));
    }
  });

  commands.set("/getentry", ({ path, form }) => {
    const p = params(form, "tname", "nid", "key");
    if (p === null) return wrongCommand(MISSING, `${path}?tname=table_name&nid=network_id&key=k`);
    const [tname, nid, key] = p as [string, string, string];
    const value = db.getEntry(tname, nid, key);
    // Go's words for a missing key (Go words a tombstone differently; NetworkDB's API does not tell them apart).
    if (value === undefined) return fail(`could not get entry in table ${tname} with network id ${nid} and key ${key}`);
    // Go fills neither the index nor the owner here.
    return succeed(tableEntry(0, key, encodeValue(value, isUnsafe(form)), ""));
  });

  commands.set("/gettable", ({ path, form }) => {
    const p = params(form, "tname", "nid");
    if (p === null) return wrongCommand(MISSING, `${path}?tname=table_name&nid=network_id`);
    const unsafe = isUnsafe(form);
    const rows = [...db.getTableByNetwork(p[0]!, p[1]!)].map(([key, e], i) =>
      tableEntry(i, key, encodeValue(e.value, unsafe), e.owner),
    );
    return succeed(list(rows));
  });

  commands.set("/networkstats", ({ path, form }) => {
    const p = params(form, "nid");
    if (p === null) return wrongCommand(MISSING, `${path}?nid=test`);
    const stats = db.networkStats(p[0]!);
    return succeed(networkStats(stats?.entries ?? -1, stats?.queueLen ?? -1));
  });

  commands.set("/ready", () => succeed(info("OK")));
  commands.set("/myip", () => ({ raw: `${ctx.advertisedIp()}\n` }));

  commands.set("/watchtable", ({ path, form }) => {
    const p = params(form, "tname");
    if (p === null) return missingAsJson(`${path}?tname=table_name`);
    watches.watch(p[0]!);
    return { raw: "OK\n" };
  });

  commands.set("/watchedtableentries", ({ path, form }) => {
    const p = params(form, "tname");
    if (p === null) return missingAsJson(`${path}?tname=table_name`);
    const entries = watches.entries(p[0]!);
    if (entries === undefined) return { raw: `Table ${p[0]} not watched\n` };
    const lines = [...entries].map(([k, v], i) => `${i}) k:\`${k}\` -> v:\`${v}\`\n`);
    return { raw: `total elements: ${entries.size}\n${lines.join("")}` };
  });

  commands.set("/help", () => succeed(info([...commands.keys()].sort().map((p) => `${p}\n`).join(""))));
  return commands;
}
