import type { Capability, Driver, DriverCallback } from "../driverapi/index.js";
import { LoadingRegistry } from "./loading-registry.js";

export interface RegisteredDriver {
  readonly driver: Driver;
  readonly capability: Capability;
}

/** Finds a driver that is not registered yet (a plugin), by name; throws NotFoundError when there is none. */
export type DriverLoader = (name: string) => Promise<RegisteredDriver>;

/** The drivers known to a controller, by name. Drivers register through the callback, as in libnetwork. */
export class DriverRegistry extends LoadingRegistry<RegisteredDriver> implements DriverCallback {
  constructor(loader?: DriverLoader) {
    super("network driver", loader, true);
  }

  registerDriver(name: string, driver: Driver, capability: Capability): void {
    this.add(name, { driver, capability });
  }
}
