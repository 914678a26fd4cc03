import type { Ipam, Capability as IpamCapability } from "../ipamapi/index.js";
import { LoadingRegistry } from "./loading-registry.js";

export interface RegisteredIpam {
  readonly ipam: Ipam;
  readonly capability: IpamCapability;
}

/** Finds an IPAM driver that is not registered yet (a plugin), by name; throws NotFoundError when there is none. */
export type IpamLoader = (name: string) => Promise<RegisteredIpam>;

/** IPAM drivers by name ("default", remote plugins...). */
export class IpamRegistry extends LoadingRegistry<RegisteredIpam> {
  constructor(loader?: IpamLoader) {
    super("IPAM driver", loader, false);
  }

  registerIpamDriver(name: string, ipam: Ipam, capability: IpamCapability): void {
    this.add(name, { ipam, capability });
  }
}
