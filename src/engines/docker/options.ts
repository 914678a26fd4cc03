/**
 * The options a user gives `docker network create` for a cnm network, and
 * the names cnmd answers dockerd with.
 */

/** `-o cnm.network=NAME` binds the Docker network to that cnm network (`--ipam-opt` too, for the IPAM half). */
export const NETWORK_OPTION = "cnm.network";
/** `-o cnm.driver=bridge|overlay|macvlan` creates the cnm network behind the Docker network. */
export const DRIVER_OPTION = "cnm.driver";
/** The drivers a Docker network may create in cnm. */
export const CREATABLE_DRIVERS = ["bridge", "overlay", "macvlan"] as const;

/** The plugin's name for dockerd (`-d cnm --ipam-driver cnm`): its socket is /run/docker/plugins/<name>.sock. */
export const PLUGIN_NAME = "cnm";
export const DEFAULT_PLUGIN_SOCKET = `/run/docker/plugins/${PLUGIN_NAME}.sock`;
/** dockerd's API, as Docker's CLI finds it by default. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** The engine's name on cnm's records (sandboxes dockerd owns are "docker-<12 hex>"). */
export const ENGINE = "docker";

/** Address spaces answered to GetDefaultAddressSpaces: names only, the pools say which network. */
export const ADDRESS_SPACES = { local: "CnmLocal", global: "CnmGlobal" } as const;

/** Docker's option keys in CreateNetwork and RequestAddress. */
export const DockerKeys = {
  generic: "com.docker.network.generic",
  enableIPv6: "com.docker.network.enable_ipv6",
  internal: "com.docker.network.internal",
  requestAddressType: "RequestAddressType",
  gatewayRequest: "com.docker.network.gateway",
  poolGateway: "com.docker.network.gateway",
} as const;

/** The cnm options of a Docker network, split from the driver's own. */
export function splitOptions(generic: Readonly<Record<string, string>>): { network?: string; driver?: string; driverOpts: Record<string, string> } {
  const driverOpts: Record<string, string> = {};
  for (const [k, v] of Object.entries(generic)) if (k !== NETWORK_OPTION && k !== DRIVER_OPTION) driverOpts[k] = v;
  const network = generic[NETWORK_OPTION];
  const driver = generic[DRIVER_OPTION];
  return { ...(network ? { network } : {}), ...(driver ? { driver } : {}), driverOpts };
}
