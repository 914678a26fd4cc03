/**
 * Replies the resolver writes itself: local answers (A, AAAA, PTR), empty
 * NOERROR, error rcodes, and the truncated form of a reply too large for
 * the requester's UDP limit. Every reply repeats the question as asked
 * (same bytes, so the asker's letter case comes back), answers point at it
 * with a compression pointer, and an OPT record is added when the query had
 * one (RFC 6891 7).
 */
import {
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  HEADER_SIZE,
  OPCODE_MASK,
  TYPE_OPT,
  type ParsedQuery,
} from "./wire.js";

/** Docker's embedded DNS answers with a TTL of 600 seconds (respTTL). */
export const ANSWER_TTL = 600;
/** The UDP payload size we advertise in OPT: the DNS Flag Day 2020 default. */
export const OUR_UDP_SIZE = 1232;

const OPT_SIZE = 11;
/** Owner (pointer to the question) + type + class + ttl + rdlength. */
const RR_FIXED = 12;

function writeHeader(out: Buffer, q: ParsedQuery, rcode: number, qd: number, an: number, ar: number, tc: boolean): void {
  out.writeUInt16BE(q.id, 0);
  // As miekg/dns SetReply plus Docker's setCommonFlags: QR, the query's
  // opcode, RD and CD echoed, RA set; not authoritative.
  const flags = FLAG_QR | (q.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | FLAG_RA | (tc ? FLAG_TC : 0) | (rcode & 0xf);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(qd, 4);
  out.writeUInt16BE(an, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(ar, 10);
}

function writeOpt(out: Buffer, at: number, rcode: number): number {
  out[at] = 0; // root owner
  out.writeUInt16BE(TYPE_OPT, at + 1);
  out.writeUInt16BE(OUR_UDP_SIZE, at + 3);
  out[at + 5] = rcode >> 4; // upper 8 bits of the extended rcode
  out[at + 6] = 0; // version
  out.writeUInt16BE(0, at + 7); // flags (no DO: we sign nothing)
  out.writeUInt16BE(0, at + 9); // no options
  return at + OPT_SIZE;
}

/**
 * A reply with no answers: `rcode` (NOERROR for a cnm name without an
 * address of the asked family, FORMERR, SERVFAIL, REFUSED...). The question
 * is repeated when it was read; `tc` marks a reply cut to fit UDP.
 */
export function emptyReply(query: Buffer, q: ParsedQuery, rcode: number, tc = false): Buffer {
  const questionLen = q.hasQuestion ? q.questionEnd - HEADER_SIZE : 0;
  const size = HEADER_SIZE + questionLen + (q.hasEdns ? OPT_SIZE : 0);
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, q, rcode, q.hasQuestion ? 1 : 0, 0, q.hasEdns ? 1 : 0, tc);
  if (questionLen > 0) query.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  if (q.hasEdns) writeOpt(out, HEADER_SIZE + questionLen, rcode);
  return out;
}

/**
 * Answers of one type whose data all have `rdlen` bytes (A: 4, AAAA: 16),
 * written by `writeData(out, at, index)`, starting at `first` and wrapping
 * (round robin). Keeps as many as fit in `limit` bytes and sets TC if some
 * did not.
 */
export function fixedAnswers(
  query: Buffer,
  q: ParsedQuery,
  count: number,
  first: number,
  rdlen: number,
  limit: number,
  writeData: (out: Buffer, at: number, index: number) => void,
): Buffer {
  const questionLen = q.questionEnd - HEADER_SIZE;
  const fixed = HEADER_SIZE + questionLen + (q.hasEdns ? OPT_SIZE : 0);
  const per = RR_FIXED + rdlen;
  let n = count;
  if (fixed + n * per > limit) n = Math.max(0, Math.floor((limit - fixed) / per));
  const out = Buffer.allocUnsafe(fixed + n * per);
  writeHeader(out, q, 0, 1, n, q.hasEdns ? 1 : 0, n < count);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  let at = HEADER_SIZE + questionLen;
  for (let i = 0; i < n; i++) {
    at = writeRecordHead(out, at, q.type, rdlen);
    writeData(out, at, (first + i) % count);
    at += rdlen;
  }
  if (q.hasEdns) writeOpt(out, at, 0);
  return out;
}

function writeRecordHead(out: Buffer, at: number, type: number, rdlen: number): number {
  out[at] = 0xc0; // pointer to the question's name at offset 12
  out[at + 1] = HEADER_SIZE;
  out.writeUInt16BE(type, at + 2);
  out.writeUInt16BE(1, at + 4); // IN
  out.writeUInt32BE(ANSWER_TTL, at + 6);
  out.writeUInt16BE(rdlen, at + 10);
  return at + RR_FIXED;
}

/** Wire length of a dotted name ("web.mynet" -> 11), or -1 if it cannot be encoded. */
function nameWireLength(name: string): number {
  if (name.length === 0) return -1;
  const len = name.length + 2;
  let label = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return -1;
    if (c === 0x2e) {
      if (label === 0) return -1;
      label = 0;
    } else if (++label > 63) return -1;
  }
  return label === 0 || len > 255 ? -1 : len;
}

/**
 * One PTR answer naming `target` (no trailing dot), as Docker gives one
 * name per address. undefined if the name cannot be put on the wire.
 */
export function ptrAnswer(query: Buffer, q: ParsedQuery, target: string): Buffer | undefined {
  const rdlen = nameWireLength(target);
  if (rdlen < 0) return undefined;
  const questionLen = q.questionEnd - HEADER_SIZE;
  const out = Buffer.allocUnsafe(HEADER_SIZE + questionLen + RR_FIXED + rdlen + (q.hasEdns ? OPT_SIZE : 0));
  writeHeader(out, q, 0, 1, 1, q.hasEdns ? 1 : 0, false);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  let at = writeRecordHead(out, HEADER_SIZE + questionLen, q.type, rdlen);
  let labelStart = at;
  at++;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2e) {
      out[labelStart] = at - labelStart - 1;
      labelStart = at++;
    } else {
      out[at++] = c;
    }
  }
  out[labelStart] = at - labelStart - 1;
  out[at++] = 0;
  if (q.hasEdns) writeOpt(out, at, 0);
  return out;
}

/**
 * A relayed reply cut for UDP: the upstream's header flags and rcode with TC
 * set, the question, no records; the client retries over TCP.
 */
export function truncatedRelay(query: Buffer, q: ParsedQuery, upstreamReply: Buffer): Buffer {
  const out = emptyReply(query, q, upstreamReply[3]! & 0xf, true);
  // Keep the upstream's AA/RA/AD and rcode bits; QR and TC stay set.
  out.writeUInt16BE(upstreamReply.readUInt16BE(2) | FLAG_QR | FLAG_TC, 2);
  return out;
}
