import { arch, release } from "node:os";
import type { FastifyInstance } from "fastify";
import { MAX_API_VERSION, MIN_API_VERSION } from "./api-version.js";

/** Go's names for Node's architectures, as Docker reports them in /version. */
const GO_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x" };

/** GET|HEAD /_ping and GET /version: what the docker CLI asks before anything else. */
export function registerSystemRoutes(app: FastifyInstance, serverVersion: string): void {
  const pingHeaders = (reply: { header(k: string, v: string): unknown }): void => {
    reply.header("Cache-Control", "no-cache, no-store, must-revalidate");
    reply.header("Pragma", "no-cache");
    reply.header("Swarm", "inactive");
  };
  app.get("/_ping", async (_req, reply) => {
    pingHeaders(reply);
    return reply.type("text/plain; charset=utf-8").send("OK");
  });
  app.head("/_ping", async (_req, reply) => {
    pingHeaders(reply);
    return reply.type("text/plain; charset=utf-8").header("Content-Length", "0").send();
  });

  app.get("/version", async () => {
    const details = {
      ApiVersion: MAX_API_VERSION,
      Arch: GO_ARCH[arch()] ?? arch(),
      BuildTime: "",
      Experimental: "false",
      GitCommit: "",
      GoVersion: `node${process.versions.node}`,
      KernelVersion: release(),
      MinAPIVersion: MIN_API_VERSION,
      Os: "linux",
    };
    return {
      Platform: { Name: "cnm" },
      Components: [{ Name: "Engine", Version: serverVersion, Details: details }],
      Version: serverVersion,
      ApiVersion: MAX_API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: "",
      GoVersion: details.GoVersion,
      Os: "linux",
      Arch: details.Arch,
      KernelVersion: details.KernelVersion,
      BuildTime: "",
    };
  });
}
