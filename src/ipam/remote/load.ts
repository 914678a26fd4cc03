import type { Capability } from "../../ipamapi/index.js";
import { PluginEndpointType } from "../../ipamapi/index.js";
import type { Plugins } from "../../plugins/plugins.js";
import { RemoteIpam } from "./remote-ipam.js";

/** Finds and activates the IPAM plugin of that name and asks its capability (libnetwork ipams/remote Init). */
export async function loadRemoteIpam(plugins: Plugins, name: string): Promise<{ ipam: RemoteIpam; capability: Capability }> {
  const plugin = await plugins.get(name, PluginEndpointType);
  const ipam = new RemoteIpam(name, plugin.client);
  return { ipam, capability: await ipam.getCapabilities() };
}
