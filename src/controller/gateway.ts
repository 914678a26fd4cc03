import type { EndpointRecord, NetworkRecord } from "../controllerapi/index.js";

/**
 * Which of a sandbox's endpoints provides the default gateway: among those
 * that offer one (a gateway set at join, not disabled, not on an internal
 * network), the highest priority, then the earliest join. Recomputed on every
 * join and leave, so leaving the gateway network restores the previous one.
 */
export function selectGatewayEndpoint(
  endpoints: readonly EndpointRecord[],
  networkOf: (ep: EndpointRecord) => NetworkRecord | undefined,
): EndpointRecord | undefined {
  let best: EndpointRecord | undefined;
  for (const ep of endpoints) {
    const j = ep.join;
    if (!j || j.disableGatewayService || (!j.gateway && !j.gatewayIPv6)) continue;
    if (networkOf(ep)?.internal) continue;
    const b = best?.join;
    if (!b || j.priority > b.priority || (j.priority === b.priority && j.order < b.order)) best = ep;
  }
  return best;
}
