// The testbed: real processes and namespaces standing for a cluster of machines.
export { Testbed, clusterArgs, ETCD_ADDRESS, HOST_ADDRESS_BASE, type TestbedOptions } from "./multihost.js";
export { TestbedHost } from "./testbed-host.js";
export { CnmdProcess, CNMD_BIN, ping, type CnmdOptions } from "./cnmd-process.js";
export { runCnm, CNM_BIN } from "./cnm-cli.js";
export { EtcdProcess, type EtcdOptions } from "./etcd.js";
export { inNamespace } from "./in-namespace.js";
export { runCommand, runChecked, type ExecResult, type RunOptions } from "./process-run.js";
export { leftoversOf, isClean, type Leftovers, type TestbedFootprint } from "./leftovers.js";
export { UNDERLAY_SUBNET, UNDERLAY_MTU } from "./underlay.js";
export { DockerdProcess, cnmdDockerArgs, DOCKERD_BIN, DOCKER_CLI, type DockerdOptions } from "./dockerd.js";
export { importBusyboxImage, busyboxTarball, BUSYBOX_IMAGE, REQUIRED_APPLETS } from "./busybox-image.js";
