import { Controller, type RestoreReport } from "./controller/index.js";
import type { ClusterAgent } from "./controllerapi/index.js";
import type { StateStore } from "./controllerapi/index.js";
import { bridgeDriverInit } from "./drivers/bridge/bridge-driver.js";
import { MemoryIdPool, OverlayDriver, overlayDriverInit } from "./drivers/overlay/index.js";
import type { IdPool } from "./driverapi/index.js";
import { registerHostDriver, registerNullDriver } from "./drivers/singleton-driver.js";
import { MacvlanDriver, macvlanDriverInit } from "./drivers/macvlan/index.js";
import { registerIpvlanRefusal } from "./drivers/ipvlan-refusal.js";
import { DefaultIpam } from "./ipam/index.js";
import { NetlinkHandle } from "./linux/index.js";
import { Firewall, type FirewallEvent } from "./linux/nftables/index.js";
import { LinuxOsl } from "./osl/linux-osl.js";
import { PortAllocator } from "./portallocator/index.js";
import { knownNames, removeOrphans } from "./orphans.js";
import type { GlobalStore } from "./controllerapi/index.js";
import type { Ipam } from "./ipamapi/index.js";
import { ByScopeIpam } from "./ipam/by-scope-ipam.js";
import { startResolver } from "./resolver/index.js";
import { Plugins, type PluginClientOptions } from "./plugins/index.js";
import { loadRemoteDriver } from "./drivers/remote/load.js";
import { loadRemoteIpam } from "./ipam/remote/load.js";
import { errorText, type Logger } from "./log/index.js";

export interface LinuxControllerOptions {
  /**
   * Prefix of every kernel object (namespaces, links, nftables tables), so two
   * controllers on one host never touch each other's objects. 1-6 lowercase
   * letters or digits. Default "cnm".
   */
  readonly prefix?: string;
  /** Where sandbox files (hosts, resolv.conf) go. Default /run/cnm/<prefix>. */
  readonly runDir?: string;
  readonly store?: StateStore;
  readonly agent?: ClusterAgent;
  /** The cluster's store of global networks (etcd); with it, global networks are shared by every host. */
  readonly globalStore?: GlobalStore;
  /** The IPAM of the global address space (etcd) for global networks; default: the local one. */
  readonly globalIpam?: Ipam;
  /** This host's name in the cluster (default: the OS host name). */
  readonly nodeName?: string;
  /** Put cnm's firewall rules back when someone flushes the ruleset. Default true. */
  readonly watchFirewall?: boolean;
  /** Firewall repairs and diagnostics. */
  readonly onFirewallEvent?: (event: FirewallEvent) => void;
  /**
   * Remove namespaces and links this prefix's controller made in an earlier
   * process that is gone (e.g. killed) and that no stored record accounts
   * for. Default true.
   */
  readonly removeOrphans?: boolean;
  /** With a store: what the restore found and did. */
  readonly onRestore?: (report: RestoreReport) => void;
  /** Where the overlay driver reserves VXLAN ids. Default: a MemoryIdPool (this process only). */
  readonly vxlanIdPool?: IdPool;
  /**
   * This host in the cluster: drivers hear of it (discoverNew, self) before
   * anything is restored, so an overlay knows its tunnel address when it
   * rebuilds its joins.
   */
  readonly selfNode?: { readonly address: string; readonly bindAddress: string };
  /**
   * Docker's embedded DNS at 127.0.0.11 in every sandbox on a network that
   * serves names (all but the default bridge, host and none): sandboxes find
   * each other by name and alias, other names go to the host's resolvers.
   * Default true.
   */
  readonly embeddedDns?: boolean;
  /** A sandbox's resolver could not start, or met a problem it carried on past; default: logged (see ControllerOptions). */
  readonly onResolverError?: (err: unknown, sandbox: string) => void;
  /** Where the controller and the drivers say what a best-effort step could not do; default: quiet. */
  readonly logger?: Logger;
  /** A peer record the overlay could not program (malformed, or refused by the kernel); default: a warning through the logger. */
  readonly onPeerError?: (error: unknown, context: { nid: string; key: string }) => void;
  /**
   * Directories searched, in order, for network and IPAM plugins (Docker's
   * legacy plugins: `<name>.sock`, `<name>.spec`, `<name>.json`) when a
   * network names a driver cnm does not have. Default: /run/cnm/plugins,
   * /run/docker/plugins, /etc/docker/plugins, /usr/lib/docker/plugins.
   * An empty list turns plugins off.
   */
  readonly pluginDirs?: readonly string[];
  /** Timeouts and retries of plugin calls (defaults: Docker's 30 s). */
  readonly pluginClient?: PluginClientOptions;
}

/**
 * A controller wired to the Linux kernel: namespaces and links over netlink,
 * nftables for NAT and isolation, the default IPAM (which avoids the host's
 * routes), and the null, host, bridge, overlay and macvlan drivers (and
 * "ipvlan", which refuses with the reason).
 */
export async function createLinuxController(options: LinuxControllerOptions = {}): Promise<Controller> {
  const prefix = options.prefix ?? "cnm";
  const host = NetlinkHandle.open();
  const restoring = options.store !== undefined;
  // Without a store nothing of an earlier run can be adopted: sweep before starting.
  if (!restoring && options.removeOrphans !== false) removeOrphans(prefix, host);
  const osl = new LinuxOsl();
  const firewall = new Firewall({ prefix, ...(options.onFirewallEvent ? { onEvent: options.onFirewallEvent } : {}) });
  // When restoring, the restored networks' rules are collected first and replace
  // the earlier run's tables in one batch: published ports never go missing.
  if (restoring) firewall.stageUntilInit();
  else await firewall.init();
  const overlay = new OverlayDriver({
    prefix,
    host,
    vxlanIds: options.vxlanIdPool ?? new MemoryIdPool(),
    onPeerError:
      options.onPeerError ??
      ((err: unknown, at: { nid: string; key: string }) => options.logger?.warn(`overlay: peer ${at.key} of network ${at.nid} not programmed: ${errorText(err)}`)),
  });
  const macvlan = new MacvlanDriver({ prefix, host });
  const ipam = new DefaultIpam({ hostRoutes: () => host.routeList({ family: 4 }).concat(host.routeList({ family: 6 })).map((r) => r.dst) });
  const plugins = options.pluginDirs?.length === 0 ? undefined : new Plugins({ ...options.pluginClient, ...(options.pluginDirs ? { dirs: options.pluginDirs } : {}) });
  const controller = await Controller.create({
    prefix,
    runDir: options.runDir ?? `/run/cnm/${prefix}`,
    osl,
    drivers: [
      registerNullDriver,
      registerHostDriver,
      bridgeDriverInit({ prefix, firewall, ports: new PortAllocator(), host, ...(options.logger ? { logger: options.logger } : {}) }),
      overlayDriverInit(overlay),
      macvlanDriverInit(macvlan),
      registerIpvlanRefusal,
    ],
    ipams: [
      {
        name: "default",
        ipam: options.globalIpam ? new ByScopeIpam(ipam, options.globalIpam) : ipam,
        capability: { requiresMACAddress: false, requiresRequestReplay: true },
      },
    ],
    ...(plugins ? { driverLoader: (name: string) => loadRemoteDriver(plugins, name), ipamLoader: (name: string) => loadRemoteIpam(plugins, name) } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.globalStore ? { globalStore: options.globalStore } : {}),
    ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    ...(options.embeddedDns === false ? {} : { resolverFactory: startResolver }),
    ...(options.onResolverError ? { onResolverError: options.onResolverError } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    teardown: async () => {
      await stopWatching?.();
      await firewall.removeAll();
    },
    resources: [
      { close: () => host.close() },
      { close: () => overlay.close() },
      { close: () => osl.close() },
      { close: () => stopWatching?.() },
    ],
  });
  if (options.selfNode) await controller.discoverNode("new", { ...options.selfNode, self: true });
  if (restoring) {
    const report = await controller.restore();
    await firewall.init();
    if (options.removeOrphans !== false) removeOrphans(prefix, host, knownNames(prefix, controller));
    options.onRestore?.(report);
  }
  const stopWatching = options.watchFirewall === false ? undefined : firewall.watchForFlush();
  return controller;
}
