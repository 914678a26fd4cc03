/**
 * Node discovery for drivers: NetworkDB's membership events (its NodeTable)
 * become discoverNew / discoverDelete with the node's address, as
 * libnetwork's agent hands memberlist's join and leave to its drivers.
 */
import type { NodeDiscoveryData } from "../driverapi/index.js";
import { NODE_TABLE, type NetworkDB } from "../networkdb/index.js";

export interface NodeDiscoveryTarget {
  discoverNode(change: "new" | "delete", data: NodeDiscoveryData): Promise<void>;
}

/**
 * Tells `target` about every other node as it arrives or goes (this node
 * itself is told at the controller's creation: see LinuxControllerOptions.selfNode).
 * Returns a function that stops following.
 */
export async function followNodeDiscovery(
  db: NetworkDB,
  target: NodeDiscoveryTarget,
  self: { readonly address: string; readonly bindAddress: string },
  onError: (err: unknown) => void,
): Promise<() => void> {
  // Events are handed on one at a time, in order, so a driver never hears a leave before its join.
  let chain = Promise.resolve();
  const watch = db.watch(NODE_TABLE, undefined, (event) => {
    const address = nodeAddress(event.key, event.value, onError);
    if (address === undefined || address === self.address) return;
    const change = event.type === "delete" ? "delete" : "new";
    chain = chain.then(() => target.discoverNode(change, { address, bindAddress: address, self: false })).catch(onError);
  });
  for (const peer of db.clusterPeers()) {
    if (peer.ip !== self.address) chain = chain.then(() => target.discoverNode("new", { address: peer.ip, bindAddress: peer.ip, self: false })).catch(onError);
  }
  return () => watch.close();
}

/** The node's address from a NodeTable event's value ({"Addr": "..."}). */
function nodeAddress(node: string, value: Uint8Array, onError: (err: unknown) => void): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(value)) as { Addr?: unknown };
    return typeof parsed.Addr === "string" ? parsed.Addr : undefined;
  } catch (err) {
    // The drivers do not hear of this node; said, since its tunnels will then be missing.
    onError(new Error(`node ${node}: its NodeTable entry is not JSON: ${(err as Error).message}`, { cause: err }));
    return undefined;
  }
}
