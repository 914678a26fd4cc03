// Reads back cnm's tables and says whether they still look as rendered. Used
// after the monitor reports a deletion in our tables, to decide whether a
// restore is needed. Comparing counts (chains, rules per chain, elements per
// set) rather than full expressions is deliberate: nft prints expressions in
// its own normalised form (it drops implied `meta nfproto`, merges prefixes),
// so a structural comparison would be brittle, while every tampering we care
// about (flush ruleset, delete table/chain/set, flush chain/set) changes a count.
import type { NftFamily } from "./nft-json.js";
import { NftError, runNft, type NftRunnerOptions } from "./nft-runner.js";
import { FAMILIES, SET_SCHEMAS, expectedRuleCounts, type SetName } from "./ruleset.js";

interface ListedObject {
  table?: { family: string; name: string };
  chain?: { family: string; table: string; name: string };
  set?: { family: string; table: string; name: string; elem?: unknown[] };
  map?: { family: string; table: string; name: string; elem?: unknown[] };
  rule?: { family: string; table: string; chain: string };
}

/** Lists one table as JSON objects, or null if it does not exist. */
async function listTable(opts: NftRunnerOptions, family: NftFamily, name: string): Promise<ListedObject[] | null> {
  try {
    const out = await runNft(opts, `list table ${family} ${name}`, ["-j", "list", "table", family, name]);
    const doc = JSON.parse(out) as { nftables?: ListedObject[] };
    return doc.nftables ?? [];
  } catch (e) {
    if (e instanceof NftError && e.isNotFound) return null;
    throw e;
  }
}

/**
 * Returns why the live tables differ from what should be there, or null
 * when they match. `elements` is the expected element count per set.
 */
export async function findDrift(
  opts: NftRunnerOptions,
  tableName: string,
  elements: Map<SetName, number>,
): Promise<string | null> {
  for (const family of FAMILIES) {
    const objs = await listTable(opts, family, tableName);
    if (objs === null) return `table ${family} ${tableName} is missing`;
    const rules = new Map<string, number>();
    const sets = new Map<string, number>();
    for (const o of objs) {
      if (o.chain) rules.set(o.chain.name, rules.get(o.chain.name) ?? 0);
      if (o.rule) rules.set(o.rule.chain, (rules.get(o.rule.chain) ?? 0) + 1);
      const s = o.set ?? o.map;
      if (s) sets.set(s.name, s.elem?.length ?? 0);
    }
    for (const [chain, count] of expectedRuleCounts(family)) {
      const got = rules.get(chain);
      if (got === undefined) return `chain ${family} ${tableName} ${chain} is missing`;
      if (got !== count) return `chain ${family} ${tableName} ${chain} has ${got} rules, expected ${count}`;
    }
    for (const schema of SET_SCHEMAS.filter((s) => s.family === family)) {
      const got = sets.get(schema.name);
      const want = elements.get(schema.name) ?? 0;
      if (got === undefined) return `set ${family} ${tableName} ${schema.name} is missing`;
      if (got !== want) return `set ${family} ${tableName} ${schema.name} has ${got} elements, expected ${want}`;
    }
  }
  return null;
}
