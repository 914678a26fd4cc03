/**
 * Answers from the controller's records, as Docker's ServeDNS does for
 * A, AAAA, PTR and MX; undefined means "not ours, forward it". Every other
 * type is forwarded, even for a cnm name, as Docker does (its default case).
 */
import { parseIPv4, parseIPv6Into } from "../inet/index.js";
import type { NameAnswer, ResolverRecords } from "./contract.js";
import { addressOfPtrName } from "./reverse.js";
import { emptyReply, fixedAnswers, ptrAnswer } from "./replies.js";
import { CLASS_IN, RCODE_NOERROR, TYPE_A, TYPE_AAAA, TYPE_MX, TYPE_PTR, type ParsedQuery } from "./wire.js";

/** Round-robin positions are kept per name, up to this many names (then forgotten). */
const MAX_ROTATING_NAMES = 4096;

export class LocalAnswers {
  private readonly rotation = new Map<string, number>();
  private readonly groups = new Array<number>(8);
  private addresses: readonly string[] = [];

  constructor(private readonly records: ResolverRecords) {}

  /** The reply for a parsed query, or undefined to forward it. */
  answer(query: Buffer, q: ParsedQuery, udpLimit: number): Buffer | undefined {
    if (q.klass !== CLASS_IN || !q.plainName || q.name === "") return undefined;
    switch (q.type) {
      case TYPE_A:
        return this.addressAnswer(query, q, udpLimit, this.records.lookupName(q.name), 4);
      case TYPE_AAAA:
        return this.addressAnswer(query, q, udpLimit, this.records.lookupName(q.name), 6);
      case TYPE_PTR:
        return this.ptr(query, q);
      case TYPE_MX:
        // A known name gets NOERROR and no MX, so that mail clients fall back
        // to its A/AAAA ("implicit MX", RFC 5321 5.1), as Docker answers.
        return this.records.lookupName(q.name) === undefined ? undefined : emptyReply(query, q, RCODE_NOERROR);
      default:
        return undefined;
    }
  }

  private addressAnswer(query: Buffer, q: ParsedQuery, limit: number, found: NameAnswer | undefined, family: 4 | 6): Buffer | undefined {
    if (found === undefined) return undefined;
    const list = family === 4 ? found.ipv4 : found.ipv6;
    // A cnm name without an address of this family: NOERROR, no answer, never forwarded.
    if (list.length === 0) return emptyReply(query, q, RCODE_NOERROR);
    const first = list.length > 1 ? this.nextRotation(q.name, list.length) : 0;
    this.addresses = list;
    return fixedAnswers(query, q, list.length, first, family === 4 ? 4 : 16, limit, family === 4 ? this.writeV4 : this.writeV6);
  }

  private nextRotation(name: string, count: number): number {
    const next = this.rotation.get(name) ?? 0;
    if (this.rotation.size >= MAX_ROTATING_NAMES && next === 0) this.rotation.clear();
    this.rotation.set(name, (next + 1) % count);
    return next % count;
  }

  // Arrow properties: handed to fixedAnswers without a bind per query. An
  // address the records hold that does not parse is written as zeros rather
  // than throwing on the hot path; the controller only stores valid ones.
  private readonly writeV4 = (out: Buffer, at: number, index: number): void => {
    out.writeUInt32BE(parseIPv4(this.addresses[index]!) ?? 0, at);
  };

  private readonly writeV6 = (out: Buffer, at: number, index: number): void => {
    const g = this.groups;
    if (!parseIPv6Into(this.addresses[index]!, g)) g.fill(0);
    for (let i = 0; i < 8; i++) out.writeUInt16BE(g[i]!, at + i * 2);
  };

  private ptr(query: Buffer, q: ParsedQuery): Buffer | undefined {
    const address = addressOfPtrName(q.name);
    if (address === undefined) return undefined;
    const names = this.records.lookupAddress(address);
    const first = names?.[0];
    if (first === undefined) return undefined;
    return ptrAnswer(query, q, first.endsWith(".") ? first.slice(0, -1) : first);
  }
}
