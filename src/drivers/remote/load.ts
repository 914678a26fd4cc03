import type { Capability } from "../../driverapi/index.js";
import type { Plugins } from "../../plugins/plugins.js";
import { NETWORK_PLUGIN_TYPE } from "./api.js";
import { RemoteDriver } from "./remote-driver.js";

/**
 * Finds and activates the network driver plugin of that name and asks its
 * capability: what libnetwork's remote package does in its plugins.Handle
 * callback before RegisterDriver.
 */
export async function loadRemoteDriver(plugins: Plugins, name: string): Promise<{ driver: RemoteDriver; capability: Capability }> {
  const plugin = await plugins.get(name, NETWORK_PLUGIN_TYPE);
  const driver = new RemoteDriver(name, plugin.client);
  return { driver, capability: await driver.getCapabilities() };
}
