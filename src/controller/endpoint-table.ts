import type { EndpointRecord } from "../controllerapi/index.js";

/**
 * The controller's endpoints, by id and by network and name: creating one
 * checks its name on its network, and deleting a network or releasing it on
 * this host asks whether any endpoint is left on it; neither scans them all.
 */
export class EndpointTable {
  private readonly byId = new Map<string, EndpointRecord>();
  /** Network id -> endpoint name -> endpoint. */
  private readonly byNetwork = new Map<string, Map<string, EndpointRecord>>();

  get(id: string): EndpointRecord | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  set(ep: EndpointRecord): void {
    this.delete(ep.id);
    this.byId.set(ep.id, ep);
    const names = this.byNetwork.get(ep.networkId);
    if (names) names.set(ep.name, ep);
    else this.byNetwork.set(ep.networkId, new Map([[ep.name, ep]]));
  }

  delete(id: string): void {
    const ep = this.byId.get(id);
    if (!ep) return;
    this.byId.delete(id);
    const names = this.byNetwork.get(ep.networkId);
    if (names?.get(ep.name) === ep) names.delete(ep.name);
    if (names?.size === 0) this.byNetwork.delete(ep.networkId);
  }

  values(): IterableIterator<EndpointRecord> {
    return this.byId.values();
  }

  /** The endpoint of that name on the network. */
  named(nid: string, name: string): EndpointRecord | undefined {
    return this.byNetwork.get(nid)?.get(name);
  }

  /** The endpoints on a network. */
  onNetwork(nid: string): EndpointRecord[] {
    return [...(this.byNetwork.get(nid)?.values() ?? [])];
  }

  /** True when the network has an endpoint here. */
  anyOn(nid: string): boolean {
    return this.byNetwork.has(nid);
  }
}
