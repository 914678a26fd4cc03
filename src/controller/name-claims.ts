/**
 * Names claimed by creations still under way. JavaScript runs the
 * check-and-claim without interruption, so uniqueness needs no lock and
 * creations of different objects never queue; the claim is dropped when the
 * creation ends, succeeded or not.
 */
export class NameClaims {
  readonly networks = new Set<string>();
  readonly sandboxes = new Set<string>();
  /** Network id -> endpoint names being created on it. */
  private readonly endpoints = new Map<string, Set<string>>();

  hasEndpoint(nid: string, name: string): boolean {
    return this.endpoints.get(nid)?.has(name) ?? false;
  }

  addEndpoint(nid: string, name: string): void {
    const names = this.endpoints.get(nid);
    if (names) names.add(name);
    else this.endpoints.set(nid, new Set([name]));
  }

  deleteEndpoint(nid: string, name: string): void {
    const names = this.endpoints.get(nid);
    names?.delete(name);
    if (names?.size === 0) this.endpoints.delete(nid);
  }

  /** True while some endpoint is being created on the network (it may not be deleted or released meanwhile). */
  endpointsUnderway(nid: string): boolean {
    return this.endpoints.has(nid);
  }
}
