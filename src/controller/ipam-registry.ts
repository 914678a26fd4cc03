import type { Ipam, Capability as IpamCapability } from "../ipamapi/index.js";
import { ConflictError, NotFoundError } from "../errors.js";

export interface RegisteredIpam {
  readonly ipam: Ipam;
  readonly capability: IpamCapability;
}

/** IPAM drivers by name ("default", remote plugins...). */
export class IpamRegistry {
  private readonly ipams = new Map<string, RegisteredIpam>();

  registerIpamDriver(name: string, ipam: Ipam, capability: IpamCapability): void {
    if (this.ipams.has(name)) throw new ConflictError(`IPAM driver "${name}" is already registered`);
    this.ipams.set(name, { ipam, capability });
  }

  get(name: string): RegisteredIpam {
    const found = this.ipams.get(name);
    if (!found) throw new NotFoundError(`IPAM driver "${name}" not found`);
    return found;
  }
}
