/**
 * Fitting table events into datagrams. Table events travel as a networkdb
 * COMPOUND inside a memberlist user message (`08` + GossipMessage), which
 * memberlist wraps in a CRC header and, with a keyring, encrypts; the whole
 * must fit packetBufferSize. Docker approximates the framing costs; here
 * they are computed, so a packet never exceeds the budget.
 */
import type { Context } from "./context.js";
import { compoundMessageSize, compoundPartSize } from "./codec.js";
import { encryptOverhead, encryptionVersionFor, HasCrcHeaderSize } from "./wire/index.js";

/** memberlist's user message type byte. */
const USER_TYPE_BYTE = 1;

/** Largest GossipMessage one datagram can carry. */
export function datagramBudget(ctx: Context): number {
  let budget = ctx.config.packetBufferSize - USER_TYPE_BYTE - HasCrcHeaderSize;
  if (ctx.config.keys.length > 0) {
    const version = encryptionVersionFor(ctx.ml?.protocolVersion() ?? 2);
    budget -= encryptOverhead(version);
  }
  return budget;
}

/** True when a COMPOUND holding only `msg` fits in `budget`. */
export function fitsAlone(msg: Uint8Array, budget: number): boolean {
  return compoundMessageSize(compoundPartSize(msg.length)) <= budget;
}

/**
 * Group messages into as few COMPOUNDs as fit `budget`, in order. Messages
 * that cannot fit even alone are returned in `oversize`.
 */
export function packCompounds(
  msgs: readonly Uint8Array[],
  budget: number,
): { packets: Uint8Array[][]; oversize: Uint8Array[] } {
  const packets: Uint8Array[][] = [];
  const oversize: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let dataSize = 0;
  for (const msg of msgs) {
    const part = compoundPartSize(msg.length);
    if (compoundMessageSize(part) > budget) {
      oversize.push(msg);
      continue;
    }
    if (current.length > 0 && compoundMessageSize(dataSize + part) > budget) {
      packets.push(current);
      current = [];
      dataSize = 0;
    }
    current.push(msg);
    dataSize += part;
  }
  if (current.length > 0) packets.push(current);
  return { packets, oversize };
}

/**
 * The `overhead` and `limit` to give a TransmitLimitedQueue so that what it
 * returns fits one COMPOUND within `budget`: each part costs its length plus
 * at most 6 framing bytes (parts are far below 16 KiB), the envelope at most
 * 6 more.
 */
export function queueLimits(budget: number): { overhead: number; limit: number } {
  return { overhead: 6, limit: budget - 6 };
}
