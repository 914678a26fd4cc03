/**
 * Waiting for acks: a handler per outstanding ping sequence number, reaped
 * after a timeout (memberlist's ackHandlers, setProbeChannels, setAckHandler).
 * An ack runs and removes its handler; a nack only runs it (several peers may
 * nack one probe).
 */
import type { Clock, TimerHandle } from "./clock.js";

interface Handler {
  onAck: (payload: Uint8Array | null, timestamp: number) => void;
  onNack: (() => void) | null;
  timer: TimerHandle;
}

export class AckHandlers {
  private readonly handlers = new Map<number, Handler>();

  constructor(private readonly clock: Clock) {}

  /**
   * Wait for the ack (and nacks) of ping `seqNo`. After `timeoutMs` the handler
   * is removed and `onTimeout` (if any) runs.
   */
  set(
    seqNo: number,
    onAck: (payload: Uint8Array | null, timestamp: number) => void,
    onNack: (() => void) | null,
    timeoutMs: number,
    onTimeout: (() => void) | null = null,
  ): void {
    this.handlers.get(seqNo)?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      if (this.handlers.get(seqNo)?.timer !== timer) return;
      this.handlers.delete(seqNo);
      onTimeout?.();
    }, timeoutMs);
    this.handlers.set(seqNo, { onAck, onNack, timer });
  }

  /** An ack arrived: run and remove its handler, if any. */
  invokeAck(seqNo: number, payload: Uint8Array | null, timestamp: number): void {
    const h = this.handlers.get(seqNo);
    if (h === undefined) return;
    this.handlers.delete(seqNo);
    h.timer.cancel();
    h.onAck(payload, timestamp);
  }

  /** A nack arrived: run its handler's nack function, if any. */
  invokeNack(seqNo: number): void {
    this.handlers.get(seqNo)?.onNack?.();
  }

  /** Number of outstanding handlers. */
  get size(): number {
    return this.handlers.size;
  }

  /** Drop every handler, cancelling its timer (shutdown). */
  clear(): void {
    for (const h of this.handlers.values()) h.timer.cancel();
    this.handlers.clear();
  }
}
