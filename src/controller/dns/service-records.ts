/**
 * The names every network knows, for the embedded DNS: per network, the
 * sandboxes joined to it (this host's, from joins; other hosts', from the
 * gossip table) with their names, aliases and addresses. Indexed both ways
 * (name -> endpoints, address -> endpoint), because every DNS query asks it.
 */

/** One endpoint's names and addresses on one network. */
export interface NameRecord {
  /** The sandbox's name first, then the endpoint's aliases; matched case-insensitively. */
  readonly names: readonly string[];
  /** Plain addresses, no prefix length. */
  readonly ipv4?: string;
  readonly ipv6?: string;
}

interface NetworkNames {
  readonly byEndpoint: Map<string, NameRecord>;
  /** Lowercased name -> endpoint ids, in the order they appeared. */
  readonly byName: Map<string, string[]>;
  /** Address -> endpoint id. */
  readonly byAddress: Map<string, string>;
}

export class ServiceRecords {
  private readonly networks = new Map<string, NetworkNames>();

  /** Adds or replaces the endpoint's record on the network. */
  set(nid: string, eid: string, record: NameRecord): void {
    this.delete(nid, eid);
    let net = this.networks.get(nid);
    if (!net) {
      net = { byEndpoint: new Map(), byName: new Map(), byAddress: new Map() };
      this.networks.set(nid, net);
    }
    const names = [...new Set(record.names.map((n) => n.toLowerCase()))];
    net.byEndpoint.set(eid, { ...record, names });
    for (const name of names) {
      const ids = net.byName.get(name);
      if (ids) ids.push(eid);
      else net.byName.set(name, [eid]);
    }
    if (record.ipv4) net.byAddress.set(record.ipv4, eid);
    if (record.ipv6) net.byAddress.set(record.ipv6, eid);
  }

  delete(nid: string, eid: string): void {
    const net = this.networks.get(nid);
    const record = net?.byEndpoint.get(eid);
    if (!net || !record) return;
    net.byEndpoint.delete(eid);
    for (const name of record.names) {
      const ids = net.byName.get(name)?.filter((id) => id !== eid);
      if (ids && ids.length > 0) net.byName.set(name, ids);
      else net.byName.delete(name);
    }
    for (const ip of [record.ipv4, record.ipv6]) if (ip && net.byAddress.get(ip) === eid) net.byAddress.delete(ip);
    if (net.byEndpoint.size === 0) this.networks.delete(nid);
  }

  /** Forgets a network whole (it is gone from this host). */
  dropNetwork(nid: string): void {
    this.networks.delete(nid);
  }

  /** The records of a name on a network (lowercase name), or undefined when none. */
  lookup(nid: string, name: string): NameRecord[] | undefined {
    const net = this.networks.get(nid);
    const ids = net?.byName.get(name);
    if (!net || !ids) return undefined;
    return ids.map((id) => net.byEndpoint.get(id)!);
  }

  /** The record holding this address on a network. */
  reverse(nid: string, ip: string): NameRecord | undefined {
    const net = this.networks.get(nid);
    const id = net?.byAddress.get(ip);
    return id === undefined ? undefined : net!.byEndpoint.get(id);
  }

  /** Endpoint ids with a record on the network (diagnostics and tests). */
  endpoints(nid: string): string[] {
    return [...(this.networks.get(nid)?.byEndpoint.keys() ?? [])];
  }
}
