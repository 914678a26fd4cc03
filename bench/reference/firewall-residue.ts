// Removing what a reference tool leaves in the firewall.
//
// CNI's bridge plugin (ipMasq) and netavark's iptables driver both drive `iptables`, which on
// Debian 12 is iptables-nft: their rules land in the nftables tables `ip nat` / `ip filter`
// (and `ip6 ...` for IPv6). Their DEL/teardown removes the per-network chains, but leaves
// the tables, the base chains and, for netavark, its global chains (NETAVARK_FORWARD,
// NETAVARK-HOSTPORT-*) with the jumps into them. netavark's nftables driver (1.10+) keeps
// everything in its own table `inet netavark`.
//
// The rule here: take a snapshot before the tool runs; afterwards remove only
//   - chains that match the tool's name prefixes and did not exist in the snapshot,
//     together with the rules elsewhere that jump to them;
//   - whole tables the tool owns by name (e.g. `inet netavark`) that did not exist before;
//   - base chains that did not exist before and are now empty, and tables that did not
//     exist before and are left with no chain at all.
// What existed before, or belongs to another user, stays. This is a diff, not a lock: running
// two tools that share a table at the same time would make the diffs overlap.
import { runOk } from "./exec.js";

interface NftChain {
  family: string;
  table: string;
  name: string;
  handle: number;
  hook?: string;
}
interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  expr?: unknown[];
}
interface NftTable {
  family: string;
  name: string;
}
type NftItem = { table?: NftTable; chain?: NftChain; rule?: NftRule; metainfo?: unknown };

export interface FirewallSnapshot {
  /** "family table" of every table. */
  tables: Set<string>;
  /** "family table chain" of every chain. */
  chains: Set<string>;
}

export interface FirewallOwner {
  /** Prefixes of the chain names the tool creates, e.g. ["CNI-"] or ["NETAVARK"]. */
  chainPrefixes: string[];
  /** Tables the tool owns entirely, "family name", e.g. "inet netavark". */
  tables?: string[];
}

const tableKey = (family: string, name: string): string => `${family} ${name}`;
const chainKey = (c: { family: string; table: string; name: string }): string => `${c.family} ${c.table} ${c.name}`;

async function listRuleset(): Promise<NftItem[]> {
  const r = await runOk("nft", ["-j", "list", "ruleset"]);
  if (r.stdout.trim() === "") return [];
  return (JSON.parse(r.stdout) as { nftables: NftItem[] }).nftables;
}

export async function snapshotFirewall(): Promise<FirewallSnapshot> {
  const items = await listRuleset();
  const snap: FirewallSnapshot = { tables: new Set(), chains: new Set() };
  for (const it of items) {
    if (it.table) snap.tables.add(tableKey(it.table.family, it.table.name));
    if (it.chain) snap.chains.add(chainKey(it.chain));
  }
  return snap;
}

/** Chain names a rule jumps or goes to (searched anywhere in its expression tree). */
function jumpTargets(expr: unknown, out: string[] = []): string[] {
  if (Array.isArray(expr)) {
    for (const e of expr) jumpTargets(e, out);
  } else if (expr !== null && typeof expr === "object") {
    for (const [k, v] of Object.entries(expr)) {
      if ((k === "jump" || k === "goto") && v !== null && typeof v === "object" && "target" in v) {
        out.push(String((v as { target: unknown }).target));
      } else {
        jumpTargets(v, out);
      }
    }
  }
  return out;
}

/**
 * Removes the tool's residue relative to `before` in one atomic nft transaction.
 * Returns human-readable lines naming what was removed (empty when nothing was).
 */
export async function removeFirewallResidue(before: FirewallSnapshot, owner: FirewallOwner): Promise<string[]> {
  const items = await listRuleset();
  const tables = items.flatMap((i) => (i.table ? [i.table] : []));
  const chains = items.flatMap((i) => (i.chain ? [i.chain] : []));
  const rules = items.flatMap((i) => (i.rule ? [i.rule] : []));

  const ownedTables = new Set(
    (owner.tables ?? []).filter((t) => !before.tables.has(t) && tables.some((x) => tableKey(x.family, x.name) === t)),
  );
  const inOwnedTable = (c: { family: string; table: string }): boolean => ownedTables.has(tableKey(c.family, c.table));

  const ownedChains = new Set(
    chains
      .filter((c) => !inOwnedTable(c) && !before.chains.has(chainKey(c)))
      .filter((c) => owner.chainPrefixes.some((p) => c.name.startsWith(p)))
      .map(chainKey),
  );
  // Rules outside the owned chains that jump into them.
  const jumpRules = rules.filter(
    (r) =>
      !inOwnedTable(r) &&
      !ownedChains.has(chainKey({ family: r.family, table: r.table, name: r.chain })) &&
      jumpTargets(r.expr).some((t) => ownedChains.has(chainKey({ family: r.family, table: r.table, name: t }))),
  );
  const removedRules = new Set(jumpRules.map((r) => `${r.family} ${r.table} ${r.handle}`));
  const rulesLeftIn = (c: NftChain): number =>
    rules.filter(
      (r) => r.family === c.family && r.table === c.table && r.chain === c.name && !removedRules.has(`${r.family} ${r.table} ${r.handle}`),
    ).length;

  // Base chains this run brought into being that end up empty.
  const emptyNewBaseChains = new Set(
    chains
      .filter((c) => !inOwnedTable(c) && c.hook !== undefined && !before.chains.has(chainKey(c)) && !ownedChains.has(chainKey(c)))
      .filter((c) => rulesLeftIn(c) === 0)
      .map(chainKey),
  );
  // Tables this run brought into being that end up with no chain: delete them whole.
  const emptiedTables = new Set(
    tables
      .map((t) => tableKey(t.family, t.name))
      .filter((t) => !before.tables.has(t) && !ownedTables.has(t))
      .filter((t) =>
        chains
          .filter((c) => tableKey(c.family, c.table) === t)
          .every((c) => ownedChains.has(chainKey(c)) || emptyNewBaseChains.has(chainKey(c))),
      ),
  );

  const cmds: object[] = [];
  const done: string[] = [];
  const inEmptiedTable = (c: { family: string; table: string }): boolean => emptiedTables.has(tableKey(c.family, c.table));
  for (const r of jumpRules) {
    if (inEmptiedTable(r)) continue;
    cmds.push({ delete: { rule: { family: r.family, table: r.table, chain: r.chain, handle: r.handle } } });
    done.push(`rule ${r.family} ${r.table} ${r.chain} handle ${r.handle}`);
  }
  const chainsToDrop = chains.filter(
    (c) => !inEmptiedTable(c) && (ownedChains.has(chainKey(c)) || emptyNewBaseChains.has(chainKey(c))),
  );
  // Flush first: owned chains may jump to each other, and a referenced chain can't be deleted.
  for (const c of chainsToDrop) cmds.push({ flush: { chain: { family: c.family, table: c.table, name: c.name } } });
  for (const c of chainsToDrop) {
    cmds.push({ delete: { chain: { family: c.family, table: c.table, name: c.name } } });
    done.push(`chain ${chainKey(c)}`);
  }
  for (const t of [...ownedTables, ...emptiedTables]) {
    const [family, name] = t.split(" ");
    cmds.push({ delete: { table: { family, name } } });
    done.push(`table ${t}`);
  }
  // The batch goes as an argument: `nft -f -` opens /dev/stdin, which fails on the socket
  // Node gives a child as its stdin.
  if (cmds.length > 0) await runOk("nft", ["-j", JSON.stringify({ nftables: cmds })]);
  return done;
}
