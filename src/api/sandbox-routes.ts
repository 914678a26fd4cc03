import type { FastifyInstance } from "fastify";
import type { ApiController } from "./backend.js";
import { parseFilters } from "./filters.js";
import { goFilter } from "./go-regexp.js";
import { checkRef } from "./names.js";
import { jsonBody, queryOnly } from "./route-helpers.js";
import { toSandboxCreatePlan } from "./sandbox-create.js";
import { OptionKeys } from "../driverapi/index.js";
import { NotFoundError } from "../errors.js";
import { sandboxView } from "./sandbox-view.js";
import { filtersQuerySchema, sandboxCreateSchema, type FiltersQuery, type SandboxCreateBody } from "./schemas.js";

interface IdParams {
  id: string;
}

/**
 * cnm's own endpoints for sandboxes, which stand where Docker has
 * containers: create (with the network side of a container's config),
 * list, inspect, remove.
 */
export function registerSandboxRoutes(app: FastifyInstance, controller: ApiController): void {
  app.post<{ Body: SandboxCreateBody }>("/sandboxes/create", jsonBody(sandboxCreateSchema), async (req, reply) => {
    const plan = toSandboxCreatePlan(req.body);
    const view = await controller.createSandbox(plan.request);
    if (plan.joinDefaultBridge) {
      // A sandbox that cannot join is removed, not left half made.
      try {
        await controller.connect(defaultBridge(controller), view.sandbox.id);
      } catch (err) {
        // `err` is the answer; a sandbox the undo could not remove is left for the operator, said in the log.
        await controller
          .deleteSandbox(view.sandbox.id)
          .catch((undoErr: unknown) => req.log.warn({ err: undoErr, sandbox: view.sandbox.id }, "removing the sandbox that could not join the default bridge failed"));
        throw err;
      }
    }
    return reply.code(201).send({ Id: view.sandbox.id, Warnings: [] });
  });

  app.get<{ Querystring: FiltersQuery }>("/sandboxes", queryOnly(filtersQuerySchema), async (req) => {
    const f = parseFilters(req.query.filters, ["id", "name"]);
    const names = f.get("name");
    const nameMatch = names && goFilter(names);
    const ids = f.get("id");
    const idMatch = ids && goFilter(ids);
    const views = controller
      .sandboxes()
      .filter((v) => !nameMatch || nameMatch(v.sandbox.name))
      .filter((v) => !idMatch || idMatch(v.sandbox.id));
    return Promise.all(views.map((v) => sandboxView(controller, v, req.log)));
  });

  app.get<{ Params: IdParams }>("/sandboxes/:id", async (req) => sandboxView(controller, controller.sandbox(checkRef("sandbox", req.params.id)), req.log));

  app.delete<{ Params: IdParams }>("/sandboxes/:id", async (req, reply) => {
    const view = controller.sandbox(checkRef("sandbox", req.params.id));
    await controller.deleteSandbox(view.sandbox.id);
    return reply.code(204).send();
  });
}

/** The id of the default bridge network (Docker's "bridge"), which sandboxes join unless told otherwise. */
function defaultBridge(controller: ApiController): string {
  const net = controller.networks().find((n) => n.driverOpts[OptionKeys.bridgeDefaultBridge] === "true");
  if (!net) throw new NotFoundError('there is no default bridge network: create the sandbox with NetworkMode "none" and connect it');
  return net.id;
}
