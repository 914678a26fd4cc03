import type { Ipam, Capability as IpamCapability } from "../ipamapi/index.js";
import { ConflictError, NotFoundError } from "../errors.js";

export interface RegisteredIpam {
  readonly ipam: Ipam;
  readonly capability: IpamCapability;
}

/** Finds an IPAM driver that is not registered yet (a plugin), by name; throws NotFoundError when there is none. */
export type IpamLoader = (name: string) => Promise<RegisteredIpam>;

/** IPAM drivers by name ("default", remote plugins...). */
export class IpamRegistry {
  private readonly ipams = new Map<string, RegisteredIpam>();
  private readonly loading = new Map<string, Promise<RegisteredIpam>>();

  constructor(private readonly loader?: IpamLoader) {}

  registerIpamDriver(name: string, ipam: Ipam, capability: IpamCapability): void {
    if (this.ipams.has(name)) throw new ConflictError(`IPAM driver "${name}" is already registered`);
    this.ipams.set(name, { ipam, capability });
  }

  get(name: string): RegisteredIpam {
    const found = this.ipams.get(name);
    if (!found) throw new NotFoundError(`IPAM driver "${name}" not found`);
    return found;
  }

  /** The IPAM driver of that name, loading it as a plugin when it is not registered. */
  async resolve(name: string): Promise<RegisteredIpam> {
    const found = this.ipams.get(name);
    if (found || !this.loader) return found ?? this.get(name);
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.loader(name).then((loaded) => {
        if (!this.ipams.has(name)) this.ipams.set(name, loaded);
        return this.ipams.get(name)!;
      });
      this.loading.set(name, pending);
      void pending.then(
        () => this.loading.delete(name),
        () => this.loading.delete(name),
      );
    }
    return pending;
  }
}
