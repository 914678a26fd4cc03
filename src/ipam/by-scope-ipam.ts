/**
 * The default IPAM of a host in a cluster: local networks' pools from the
 * host's own IPAM (LocalDefault), global networks' pools from the cluster's
 * (GlobalDefault, e.g. EtcdIpam), so a global network's addresses are unique
 * across hosts while local ones stay local. Without a global IPAM, both
 * address spaces go to the local one, as on a host outside any cluster.
 */
import type { AddressSpaceNames, AllocatedAddress, AllocatedPool, Capability, Ipam, MaybePromise, PoolRequest } from "../ipamapi/contract.js";
import { GlobalDefaultAddressSpace, LocalDefaultAddressSpace } from "../ipamapi/labels.js";

export class ByScopeIpam implements Ipam {
  constructor(
    private readonly local: Ipam,
    private readonly global?: Ipam,
  ) {}

  getDefaultAddressSpaces(): AddressSpaceNames {
    return { local: LocalDefaultAddressSpace, global: GlobalDefaultAddressSpace };
  }

  private forSpace(addressSpace: string): Ipam {
    return addressSpace === GlobalDefaultAddressSpace && this.global ? this.global : this.local;
  }

  /** Pool ids name their address space first ("GlobalDefault/10.0.1.0/24"). */
  private forPool(poolId: string): Ipam {
    const slash = poolId.indexOf("/");
    return this.forSpace(slash < 0 ? poolId : poolId.slice(0, slash));
  }

  requestPool(req: PoolRequest): MaybePromise<AllocatedPool> {
    return this.forSpace(req.addressSpace).requestPool(req);
  }

  releasePool(poolId: string): MaybePromise<void> {
    return this.forPool(poolId).releasePool(poolId);
  }

  requestAddress(poolId: string, preferred?: string, options?: Readonly<Record<string, string>>): MaybePromise<AllocatedAddress> {
    return this.forPool(poolId).requestAddress(poolId, preferred, options);
  }

  releaseAddress(poolId: string, address: string): MaybePromise<void> {
    return this.forPool(poolId).releaseAddress(poolId, address);
  }

  isBuiltIn(): boolean {
    return true;
  }

  /**
   * The local IPAM's. Its answer concerns local networks only: the global
   * IPAM keeps its state in the cluster, so pools of global networks must not
   * be requested again on start (that would be refused as an overlap).
   */
  getCapabilities(): MaybePromise<Capability> {
    return this.local.getCapabilities();
  }
}
