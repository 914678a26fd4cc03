// cnm's Docker-compatible HTTP API (served by cnmd on a unix socket).
export { createApiServer, DEFAULT_BODY_LIMIT, type ApiServer, type ApiServerOptions } from "./server.js";
export type { ApiController } from "./backend.js";
export { MAX_API_VERSION, MIN_API_VERSION } from "./api-version.js";
export { SocketInUseError } from "../sockets/unix-socket.js";
export { HttpError } from "./http-errors.js";
export { fastifyLogger } from "./fastify-logger.js";
export type { DockerNetwork, DockerEndpointResource, DockerIpamConfig } from "./network-view.js";
export type { DockerSandbox, DockerSandboxEndpoint, DockerPortBinding } from "./sandbox-view.js";
export { PREDEFINED_NETWORKS } from "./network-create.js";
export type { ClusterBackend, ClusterMemberView, ClusterNetworkView, ClusterEntryView } from "./cluster-routes.js";
