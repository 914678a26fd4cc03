import type { Capability, Driver, DriverCallback } from "../driverapi/index.js";
import { ConflictError, NotFoundError } from "../errors.js";

export interface RegisteredDriver {
  readonly driver: Driver;
  readonly capability: Capability;
}

/** The drivers known to a controller, by name. Drivers register through the callback, as in libnetwork. */
export class DriverRegistry implements DriverCallback {
  private readonly drivers = new Map<string, RegisteredDriver>();

  registerDriver(name: string, driver: Driver, capability: Capability): void {
    if (this.drivers.has(name)) throw new ConflictError(`network driver "${name}" is already registered`);
    this.drivers.set(name, { driver, capability });
  }

  get(name: string): RegisteredDriver {
    const found = this.drivers.get(name);
    if (!found) throw new NotFoundError(`network driver "${name}" not found (known: ${[...this.drivers.keys()].sort().join(", ")})`);
    return found;
  }

  names(): string[] {
    return [...this.drivers.keys()];
  }

  all(): RegisteredDriver[] {
    return [...this.drivers.values()];
  }
}
