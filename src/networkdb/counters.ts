/**
 * NetworkDB's own traffic and decision counters, for diagnostics and the
 * simulator (memberlist counts packets and bytes underneath).
 */
export interface NetworkDBCounters {
  /** Table events received (UDP, TCP, bulk sync), applied, and refused as stale or unwanted. */
  tableEventsReceived: number;
  tableEventsApplied: number;
  tableEventsStale: number;
  /** Refused because the owner is not (or no longer) in the network, or we are not. */
  tableEventsNotMember: number;
  /** Refused by the resurrection floor (older than a purged tombstone of the same owner). */
  tableEventsBelowFloor: number;
  /** Applied events queued again for gossip (Docker's re-gossip). */
  tableEventsRequeued: number;
  networkEventsReceived: number;
  networkEventsApplied: number;
  nodeEventsReceived: number;
  nodeEventsApplied: number;
  /** Messages that failed to decode. */
  decodeErrors: number;
  /** Datagrams sent by the direct path (local writes, forwards) and their payload bytes. */
  directPackets: number;
  directBytes: number;
  /** Table events too big for a datagram, sent over TCP instead. */
  directStreams: number;
  /** Gossip datagrams sent by the per-network gossip rounds and their payload bytes. */
  gossipPackets: number;
  gossipBytes: number;
  /** Bulk-sync messages (chunks) sent and received, their bytes, and the syncs that failed. */
  bulkSyncsSent: number;
  bulkSyncBytesSent: number;
  /** Largest bulk-sync message sent (bytes of its GossipMessage). */
  bulkSyncLargestSent: number;
  bulkSyncsReceived: number;
  bulkSyncBytesReceived: number;
  bulkSyncFailures: number;
}

export function newCounters(): NetworkDBCounters {
  return {
    tableEventsReceived: 0,
    tableEventsApplied: 0,
    tableEventsStale: 0,
    tableEventsNotMember: 0,
    tableEventsBelowFloor: 0,
    tableEventsRequeued: 0,
    networkEventsReceived: 0,
    networkEventsApplied: 0,
    nodeEventsReceived: 0,
    nodeEventsApplied: 0,
    decodeErrors: 0,
    directPackets: 0,
    directBytes: 0,
    directStreams: 0,
    gossipPackets: 0,
    gossipBytes: 0,
    bulkSyncsSent: 0,
    bulkSyncBytesSent: 0,
    bulkSyncLargestSent: 0,
    bulkSyncsReceived: 0,
    bulkSyncBytesReceived: 0,
    bulkSyncFailures: 0,
  };
}
