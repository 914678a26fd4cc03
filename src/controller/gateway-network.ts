import type { EndpointRecord, NetworkRecord, SandboxRecord } from "../controllerapi/index.js";
import { ConflictError } from "../errors.js";
import { bestEffort } from "./best-effort.js";
import type { ControllerContext } from "./context.js";
import { createEndpoint, deleteEndpoint } from "./endpoint-ops.js";
import { shortId } from "./ids.js";
import { createNetwork } from "./network-ops.js";
import { GATEWAY_NETWORK, isGatewayNetwork, wantsGateway } from "./policy.js";
import { join, leave } from "./sandbox-ops.js";

/**
 * The way out for sandboxes whose networks give them no default gateway
 * (an overlay is one): as Docker does, such a sandbox also gets an endpoint
 * on a local bridge network, docker_gwbridge, with masquerading and no
 * traffic between its sandboxes. The endpoint comes and goes with the need.
 *
 * The one place where a join makes a network on demand: this module sits
 * above the network, endpoint and sandbox operations and is called by the
 * controller after each connect and disconnect, so none of them imports it.
 */

/** libnetwork's needDefaultGW: some endpoint reaches beyond the host, and none brings a gateway. */
function needsDefaultGateway(ctx: ControllerContext, sb: SandboxRecord, gwNetwork: string | undefined): boolean {
  let needed = false;
  for (const eid of sb.endpoints) {
    const ep = ctx.endpoints.get(eid);
    const net = ep && ctx.networks.get(ep.networkId);
    if (!ep || !net || net.id === gwNetwork) continue;
    if (!wantsGateway(net)) continue;
    if (ep.join?.disableGatewayService) continue;
    if (ep.join?.gateway || ep.join?.staticRoutes.some((r) => r.destination === "0.0.0.0/0")) return false;
    needed = true;
  }
  return needed;
}

function gatewayNetwork(ctx: ControllerContext): NetworkRecord | undefined {
  for (const net of ctx.networks.values()) if (isGatewayNetwork(net)) return net;
  return undefined;
}

/** Adds or removes the sandbox's docker_gwbridge endpoint after one of its joins or leaves. */
export async function reconcileDefaultGateway(ctx: ControllerContext, sb: SandboxRecord): Promise<void> {
  if (sb.useHostNetwork || !ctx.sandboxes.has(sb.id) || !ctx.drivers.names().includes("bridge")) return;
  const existing = gatewayNetwork(ctx);
  const gwEndpoint: EndpointRecord | undefined = existing && sb.endpoints.map((id) => ctx.endpoints.get(id)).find((e) => e?.networkId === existing.id);
  const needed = needsDefaultGateway(ctx, sb, existing?.id);
  if (needed && !gwEndpoint) {
    const net = existing ?? (await ensureGatewayNetwork(ctx));
    const ep = await createEndpoint(ctx, net, { name: `gateway_${shortId(sb.id)}`, portBindings: sb.portBindings });
    try {
      await join(ctx, sb, ep);
    } catch (err) {
      await bestEffort(ctx.log, `undoing gateway endpoint ${ep.name} of sandbox ${sb.name}`, () => deleteEndpoint(ctx, ep));
      throw err;
    }
  } else if (!needed && gwEndpoint) {
    await leave(ctx, sb, gwEndpoint);
    await deleteEndpoint(ctx, gwEndpoint);
  }
}

async function ensureGatewayNetwork(ctx: ControllerContext): Promise<NetworkRecord> {
  return ctx.locks.run("network:docker_gwbridge", async () => {
    const found = gatewayNetwork(ctx);
    if (found) return found;
    try {
      return await createNetwork(ctx, {
        name: GATEWAY_NETWORK,
        driver: "bridge",
        options: {
          // <prefix>_gwbridge fits the kernel's 15 bytes for every prefix (at most 6).
          "com.docker.network.bridge.name": `${ctx.prefix}_gwbridge`,
          "com.docker.network.bridge.enable_icc": "false",
          "com.docker.network.bridge.enable_ip_masquerade": "true",
        },
      });
    } catch (err) {
      const raced = err instanceof ConflictError ? gatewayNetwork(ctx) : undefined;
      if (raced) return raced;
      throw err;
    }
  });
}
