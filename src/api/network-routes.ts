import type { FastifyInstance } from "fastify";
import type { SandboxView } from "../controller/index.js";
import type { ConnectRequest } from "../controllerapi/index.js";
import { httpStatusOf, NotFoundError } from "../errors.js";
import { formatIpValue } from "../inet/index.js";
import { checkMacAddress, parseAddressOfFamily } from "./addresses.js";
import { versionAtLeast } from "./api-version.js";
import type { ApiController } from "./backend.js";
import { parseFilters, parseGoBool } from "./filters.js";
import { badRequest, forbidden, notFound, printable } from "./http-errors.js";
import { checkDnsName, checkRef } from "./names.js";
import { checkStringMap, toNetworkCreateRequest } from "./network-create.js";
import { LIST_FILTERS, PRUNE_FILTERS, isPredefined, listPredicate, prunePredicate, type NetworkFacts } from "./network-filter.js";
import { networkView } from "./network-view.js";
import { jsonBody, queryOnly } from "./route-helpers.js";
import {
  connectSchema,
  disconnectSchema,
  filtersQuerySchema,
  inspectQuerySchema,
  networkCreateSchema,
  type ConnectBody,
  type DisconnectBody,
  type EndpointConfigBody,
  type FiltersQuery,
  type InspectQuery,
  type NetworkCreateBody,
} from "./schemas.js";

interface IdParams {
  id: string;
}

/** Docker's network endpoints: list, inspect, create, remove, connect, disconnect, prune. */
export function registerNetworkRoutes(app: FastifyInstance, controller: ApiController): void {
  const facts = (): NetworkFacts[] =>
    controller.networks().map((net) => ({ net, endpoints: controller.networkEndpoints(net.id).length }));

  app.get<{ Querystring: FiltersQuery }>("/networks", queryOnly(filtersQuerySchema), async (req) => {
    const matches = listPredicate(parseFilters(req.query.filters, LIST_FILTERS));
    // Before API 1.28 the list carried each network's containers; since then, an empty map.
    const detailed = !versionAtLeast(req.raw, "1.28");
    return facts()
      .filter(matches)
      .map(({ net }) => networkView(net, detailed ? controller.networkEndpoints(net.id) : []));
  });

  app.get<{ Params: IdParams; Querystring: InspectQuery }>("/networks/:id", queryOnly(inspectQuerySchema), async (req) => {
    const ref = checkRef("network", req.params.id);
    // verbose adds swarm services and peers, which cnm does not have; only its syntax matters.
    if (req.query.verbose) parseGoBool(req.query.verbose, "verbose");
    const net = controller.network(ref);
    if (req.query.scope && req.query.scope !== net.scope) throw notFound(`network ${printable(ref)} not found`);
    return networkView(net, controller.networkEndpoints(net.id));
  });

  app.post<{ Body: NetworkCreateBody }>("/networks/create", jsonBody(networkCreateSchema), async (req, reply) => {
    const request = toNetworkCreateRequest(req.body, {
      honourEnableIPv4: versionAtLeast(req.raw, "1.48"),
    });
    const net = await controller.createNetwork(request);
    return reply.code(201).send({ Id: net.id, Warning: "" });
  });

  app.delete<{ Params: IdParams }>("/networks/:id", async (req, reply) => {
    const net = controller.network(checkRef("network", req.params.id));
    if (isPredefined(net.name)) throw forbidden(`${net.name} is a pre-defined network and cannot be removed`);
    await controller.deleteNetwork(net.id);
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams; Body: ConnectBody }>("/networks/:id/connect", jsonBody(connectSchema), async (req, reply) => {
    const net = controller.network(checkRef("network", req.params.id));
    const sb = findSandbox(controller, req.body.Container);
    if (sb.endpoints.some((e) => e.network.id === net.id)) {
      throw forbidden(`endpoint with name ${sb.sandbox.name} already exists in network ${net.name}`);
    }
    const request = toConnectRequest(req.body.EndpointConfig ?? {}, versionAtLeast(req.raw, "1.48"));
    await controller.connect(net.id, sb.sandbox.id, request);
    return reply.code(200).send();
  });

  app.post<{ Params: IdParams; Body: DisconnectBody }>("/networks/:id/disconnect", jsonBody(disconnectSchema), async (req, reply) => {
    const net = controller.network(checkRef("network", req.params.id));
    const sb = findSandbox(controller, req.body.Container);
    if (!sb.endpoints.some((e) => e.network.id === net.id)) {
      throw notFound(`container ${sb.sandbox.id} is not connected to network ${net.name}`);
    }
    await controller.disconnect(net.id, sb.sandbox.id);
    return reply.code(200).send();
  });

  app.post<{ Querystring: FiltersQuery }>("/networks/prune", queryOnly(filtersQuerySchema), async (req) => {
    const matches = prunePredicate(parseFilters(req.query.filters, PRUNE_FILTERS), Date.now());
    const deleted: string[] = [];
    for (const { net } of facts().filter(matches)) {
      try {
        await controller.deleteNetwork(net.id);
        deleted.push(net.name);
      } catch (err) {
        // Docker prunes what it can: a network that gained an endpoint meanwhile (409), or went (404),
        // is the expected race; a failure of the delete itself (5xx) is worth a warning.
        if (httpStatusOf(err) < 500) req.log.debug({ err, network: net.name }, "prune skipped a network");
        else req.log.warn({ err, network: net.name }, "prune could not delete a network");
      }
    }
    return { NetworksDeleted: deleted };
  });
}

/** The sandbox named by a connect or disconnect body, with Docker's message when there is none. */
function findSandbox(controller: ApiController, ref: string | null | undefined): SandboxView {
  const r = checkRef("sandbox", ref);
  try {
    return controller.sandbox(r);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(`No such container: ${r}`);
    throw err;
  }
}

/** EndpointConfig of a connect request into the controller's ConnectRequest, each field checked. */
function toConnectRequest(cfg: EndpointConfigBody, honourGwPriority: boolean): ConnectRequest {
  const req: { -readonly [K in keyof ConnectRequest]: ConnectRequest[K] } = {};
  const ipam = cfg.IPAMConfig ?? {};
  if (ipam.IPv4Address) req.ipv4Address = formatIpValue(parseAddressOfFamily(ipam.IPv4Address, 4, "IPv4 address"));
  if (ipam.IPv6Address) req.ipv6Address = formatIpValue(parseAddressOfFamily(ipam.IPv6Address, 6, "IPv6 address"));
  if (ipam.LinkLocalIPs && ipam.LinkLocalIPs.length > 0) throw badRequest("cnm does not support link-local IPs (LinkLocalIPs)");
  if (cfg.Links && cfg.Links.length > 0) throw badRequest("legacy links are not supported: sandboxes on a network reach each other by name and alias");
  if (cfg.Aliases && cfg.Aliases.length > 0) req.aliases = [...new Set(cfg.Aliases.map((a) => checkDnsName("alias", a ?? "")))];
  const driverOpts = checkStringMap("DriverOpts", cfg.DriverOpts);
  if (Object.keys(driverOpts).length > 0) req.driverOpts = driverOpts;
  if (honourGwPriority && cfg.GwPriority) req.gatewayPriority = cfg.GwPriority;
  if (cfg.MacAddress) {
    checkMacAddress(cfg.MacAddress, "MAC address");
    req.macAddress = cfg.MacAddress.toLowerCase().replace(/-/g, ":");
  }
  return req;
}
