/**
 * The rooms of src/ and which way their imports may point (ARCHITECTURE.md:
 * arrows point down only). test/layers.test.ts runs these rules as part of
 * the suite, so a wrong import fails it with the rule's name; by hand:
 *   npx depcruise src --config .dependency-cruiser.cjs
 */
/** Rooms below the controller: none of them may import it. */
const BELOW_CONTROLLER =
  "^src/(cluster|resolver|drivers|ipam|store|plugins|plugin-sdk|portallocator|osl|driverapi|ipamapi|controllerapi|linux|networkdb|inet|log|sockets)/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules import each other in no circle: a circle means two concerns that cannot be read, or changed, apart.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "networkdb-stands-alone",
      severity: "error",
      comment: "networkdb/ is a library of its own (gossip, testable with many nodes in one process): it imports nothing else of cnm.",
      from: { path: "^src/networkdb/" },
      to: { path: "^src/", pathNot: "^src/networkdb/" },
    },
    {
      name: "addon-only-in-linux",
      severity: "error",
      comment: "linux/ is the only room that touches the kernel: the native addon (setns, netlink sockets) is its own.",
      from: { path: "^src/", pathNot: "^src/linux/" },
      to: { path: ["^src/linux/native\\.ts$", "\\.node$"] },
    },
    {
      name: "processes-only-where-they-belong",
      severity: "error",
      comment:
        "Spawning a process is how cnm would reach the kernel behind linux/'s back (ip, nft): only linux/, the testbed, " +
        "networkdb-node's launcher and the CLI's `sandbox exec` (the user's own command in a namespace) start processes.",
      from: {
        path: "^src/",
        pathNot: ["^src/(linux|testbed)/", "^src/cli/(netns-exec|demo)\\.ts$", "^src/networkdb-node/launcher\\.ts$"],
      },
      to: { path: "^child_process$", dependencyTypes: ["core"] },
    },
    {
      name: "drivers-below-the-controller",
      severity: "error",
      comment: "Drivers see driverapi and linux/, and nothing of the controller or the user-facing rooms above it.",
      from: { path: "^src/drivers/" },
      to: { path: "^src/(controller|api|daemon|cli|networkdb-node)/" },
    },
    {
      name: "nothing-below-the-controller-imports-it",
      severity: "error",
      comment: "Arrows point down: the rooms the controller stands on take its contracts from controllerapi/, not from it.",
      from: { path: BELOW_CONTROLLER },
      to: { path: "^src/controller/" },
    },
    {
      name: "controller-through-its-door",
      severity: "error",
      comment: "The rest of cnm imports the controller only through src/controller/index.ts, so its inside can change freely.",
      from: { path: "^src/", pathNot: "^src/controller/" },
      to: { path: "^src/controller/", pathNot: "^src/controller/index\\.ts$" },
    },
    {
      name: "nothing-imports-the-daemon",
      severity: "error",
      comment: "daemon/ is cnmd's wiring, the top of the house: nothing below it imports it.",
      from: { path: "^src/", pathNot: "^src/daemon/" },
      to: { path: "^src/daemon/" },
    },
    {
      name: "engines-below-the-daemon",
      severity: "error",
      comment:
        "engines/ (cnm inside another engine: Docker's network and IPAM plugin, its Engine API client) is wired up by the " +
        "daemon and used by the testbed; it imports neither, nor the CLI. The controller it reaches through its door only.",
      from: { path: "^src/engines/" },
      to: { path: "^src/(testbed|cli|daemon|networkdb-node)/" },
    },
    {
      name: "engine-client-stands-alone",
      severity: "error",
      comment: "The Engine API client speaks to dockerd and imports nothing of cnm, so the testbed and tests may use it freely.",
      from: { path: "^src/engines/docker/engine-client\\.ts$" },
      to: { path: "^src/" },
    },
    {
      name: "daemon-and-networkdb-node-apart",
      severity: "error",
      comment: "cnmd and networkdb-node are two programs: what both need lives in a room below both.",
      from: { path: "^src/daemon/" },
      to: { path: "^src/networkdb-node/" },
    },
    {
      name: "contracts-only-import-contracts",
      severity: "error",
      comment: "driverapi/, ipamapi/ and controllerapi/ are contracts (types and interfaces, no behaviour).",
      from: { path: "^src/(driverapi|ipamapi|controllerapi)/" },
      to: { path: "^src/", pathNot: "^src/(driverapi/|ipamapi/|controllerapi/|errors\\.ts$|inet/)" },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|build|node_modules)/" },
  },
};
