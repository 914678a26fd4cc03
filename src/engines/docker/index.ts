// cnm's door for Docker's own daemon: cnmd as dockerd's network and IPAM plugin.
export { openDockerDoor, type DockerDoor, type DockerDoorOptions } from "./docker-door.js";
export { DEFAULT_PLUGIN_SOCKET, DEFAULT_DOCKER_HOST, PLUGIN_NAME, NETWORK_OPTION, DRIVER_OPTION } from "./options.js";
export { startDockerDns } from "./docker-dns.js";
