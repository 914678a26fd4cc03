import type { Capability, Driver, DriverCallback } from "../driverapi/index.js";
import { ConflictError, NotFoundError } from "../errors.js";

export interface RegisteredDriver {
  readonly driver: Driver;
  readonly capability: Capability;
}

/** Finds a driver that is not registered yet (a plugin), by name; throws NotFoundError when there is none. */
export type DriverLoader = (name: string) => Promise<RegisteredDriver>;

/** The drivers known to a controller, by name. Drivers register through the callback, as in libnetwork. */
export class DriverRegistry implements DriverCallback {
  private readonly drivers = new Map<string, RegisteredDriver>();
  private readonly loading = new Map<string, Promise<RegisteredDriver>>();

  constructor(private readonly loader?: DriverLoader) {}

  registerDriver(name: string, driver: Driver, capability: Capability): void {
    if (this.drivers.has(name)) throw new ConflictError(`network driver "${name}" is already registered`);
    this.drivers.set(name, { driver, capability });
  }

  get(name: string): RegisteredDriver {
    const found = this.drivers.get(name);
    if (!found) throw new NotFoundError(`network driver "${name}" not found (known: ${[...this.drivers.keys()].sort().join(", ")})`);
    return found;
  }

  /**
   * The driver of that name, loading it as a plugin when it is not
   * registered (libnetwork: plugins.Get, then register with the capability
   * the plugin reports). Concurrent lookups of one name share one load.
   */
  async resolve(name: string): Promise<RegisteredDriver> {
    const found = this.drivers.get(name);
    if (found || !this.loader) return found ?? this.get(name);
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.loader(name).then((loaded) => {
        if (!this.drivers.has(name)) this.drivers.set(name, loaded);
        return this.drivers.get(name)!;
      });
      this.loading.set(name, pending);
      void pending.then(
        () => this.loading.delete(name),
        () => this.loading.delete(name),
      );
    }
    return pending;
  }

  names(): string[] {
    return [...this.drivers.keys()];
  }

  all(): RegisteredDriver[] {
    return [...this.drivers.values()];
  }
}
