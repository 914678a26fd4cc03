/**
 * Lamport clocks, as serf's LamportClock that Docker's NetworkDB uses: a
 * counter that ticks on every local event and jumps past every time seen in
 * a received event, so that "later" in the cluster's causal order means a
 * larger time. NetworkDB compares these times to decide which of two
 * versions of a network attachment or table entry is the newer one.
 *
 * NetworkDB keeps two: the network clock (network joins and leaves, node
 * join/leave events, and the time in push/pull state) and the table clock
 * (table entries and bulk syncs). Node events deliberately share the network
 * clock rather than having an event clock of their own: Go peers compare a
 * node event's time with the push/pull time they stored for that node,
 * which is a network-clock time, so a separate clock would make our node
 * events look stale to them.
 *
 * Times are JavaScript numbers: exact up to 2^53, far beyond what a cluster
 * reaches (a million events a second for 285 years). The codec refuses
 * larger times on the wire rather than round them.
 */
export class LamportClock {
  private counter = 0;

  /** The current time (the time of the last local event, or past the last witnessed one). */
  time(): number {
    return this.counter;
  }

  /** A local event happens: advance and return its time. */
  increment(): number {
    this.counter += 1;
    return this.counter;
  }

  /**
   * An event with time `v` was received: make sure every later local event
   * gets a larger time (serf's Witness: the counter becomes v + 1 when v is
   * not behind it).
   */
  witness(v: number): void {
    if (v < this.counter) return;
    this.counter = v + 1;
  }
}

/** The clocks of one NetworkDB node. */
export interface LamportClocks {
  /** Network attachments (NetworkEvent), node events (NodeEvent) and push/pull state. */
  readonly network: LamportClock;
  /** Table entries (TableEvent) and bulk syncs. */
  readonly table: LamportClock;
}

export function newClocks(): LamportClocks {
  return { network: new LamportClock(), table: new LamportClock() };
}
