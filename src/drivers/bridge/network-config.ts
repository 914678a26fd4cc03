import { isIPv4 } from "node:net";
import { OptionKeys, type IpamData, type NetworkOptions } from "../../driverapi/index.js";
import { InvalidParameterError } from "../../errors.js";
import { defaultBridgeName } from "./names.js";

/** What a bridge network is, decided once at creation from the user's options and IPAM's data. */
export interface BridgeNetworkConfig {
  readonly id: string;
  readonly name: string;
  readonly bridgeName: string;
  /** True when the user named an existing bridge: cnm then leaves it in place on delete. */
  readonly userNamedBridge: boolean;
  readonly mtu: number;
  readonly enableIPMasquerade: boolean;
  readonly enableICC: boolean;
  readonly internal: boolean;
  readonly enableIPv6: boolean;
  /** Default host address of published ports (docker's host_binding_ipv4), "0.0.0.0" for all. */
  readonly hostBindingIPv4: string;
  /**
   * IGMP/MLD snooping on the bridge. Off by default: with it on, the kernel
   * re-enables multicast on every port of the bridge whenever one port comes
   * up, so each attach costs more than the previous one (measured 1.44x vs
   * 1.25x growth over 1000 attaches). Off, multicast is flooded to all ports,
   * which is what a snooping bridge without a querier (Docker's) mostly does.
   */
  readonly multicastSnooping: boolean;
  /** Prefix of the interface names inside sandboxes ("eth"). */
  readonly containerIfacePrefix: string;
  /** Gateways on the bridge, CIDR with the pool's prefix length. */
  readonly gatewaysV4: readonly string[];
  readonly gatewaysV6: readonly string[];
  readonly subnetsV4: readonly string[];
  readonly subnetsV6: readonly string[];
}

/** Linux interface names: at most 15 bytes, no '/', ':', whitespace or control characters. */
const IFNAME_RE = /^[a-zA-Z0-9_.-]{1,15}$/;

export const DEFAULT_MTU = 1500;
/** cnm's own option (Docker has none): turn the bridge's IGMP/MLD snooping on. */
export const MULTICAST_SNOOPING_OPTION = "cnm.bridge.multicast_snooping";
/** The kernel numbers bridge ports 1..1023 (BR_MAX_PORTS is 1024 with port 0 reserved). */
export const MAX_BRIDGE_PORTS = 1023;

function parseBool(key: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  const v = value.toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new InvalidParameterError(`option ${key}: "${value}" is not a boolean (use true or false)`);
}

function parseMtu(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_MTU;
  if (!/^\d+$/.test(value)) throw new InvalidParameterError(`option ${OptionKeys.driverMTU}: "${value}" is not a number`);
  const mtu = Number(value);
  // 68 is IPv4's minimum; 1280 is IPv6's, checked below when IPv6 is on. 65535 is the bridge's maximum.
  if (mtu < 68 || mtu > 65535) throw new InvalidParameterError(`option ${OptionKeys.driverMTU}: ${mtu} is out of range 68-65535`);
  return mtu;
}


export function parseNetworkConfig(
  prefix: string,
  nid: string,
  options: NetworkOptions,
  v4: readonly IpamData[],
  v6: readonly IpamData[],
): BridgeNetworkConfig {
  const o = options.driverOpts;
  const known = new Set<string>(Object.values(OptionKeys));
  for (const key of Object.keys(o)) {
    if (!known.has(key) && key.startsWith("com.docker.network.bridge.")) {
      throw new InvalidParameterError(`unknown bridge option ${key}`);
    }
  }
  const userName = o[OptionKeys.bridgeName];
  if (userName !== undefined && !IFNAME_RE.test(userName)) {
    throw new InvalidParameterError(`bridge name "${userName}" is not a valid interface name (1-15 of [a-zA-Z0-9_.-])`);
  }
  const hostBinding = o[OptionKeys.bridgeHostBindingIPv4] ?? "0.0.0.0";
  if (!isIPv4(hostBinding)) {
    throw new InvalidParameterError(`option ${OptionKeys.bridgeHostBindingIPv4}: "${hostBinding}" is not an IPv4 address`);
  }
  const mtu = parseMtu(o[OptionKeys.driverMTU]);
  if (options.enableIPv6 && mtu < 1280) {
    throw new InvalidParameterError(`MTU ${mtu} is below IPv6's minimum of 1280`);
  }
  const ifPrefix = o[OptionKeys.containerIfacePrefix] ?? "eth";
  if (!/^[a-z][a-z0-9]{0,9}$/.test(ifPrefix)) {
    throw new InvalidParameterError(`option ${OptionKeys.containerIfacePrefix}: "${ifPrefix}" must be 1-10 lowercase letters or digits`);
  }
  return {
    id: nid,
    name: options.name,
    bridgeName: userName ?? defaultBridgeName(prefix, nid),
    userNamedBridge: userName !== undefined,
    mtu,
    enableIPMasquerade: parseBool(OptionKeys.bridgeEnableIPMasquerade, o[OptionKeys.bridgeEnableIPMasquerade], true),
    enableICC: parseBool(OptionKeys.bridgeEnableICC, o[OptionKeys.bridgeEnableICC], true),
    internal: options.internal,
    enableIPv6: options.enableIPv6,
    hostBindingIPv4: hostBinding,
    containerIfacePrefix: ifPrefix,
    multicastSnooping: parseBool(MULTICAST_SNOOPING_OPTION, o[MULTICAST_SNOOPING_OPTION], false),
    gatewaysV4: v4.flatMap((d) => (d.gateway ? [d.gateway] : [])),
    gatewaysV6: v6.flatMap((d) => (d.gateway ? [d.gateway] : [])),
    subnetsV4: v4.map((d) => d.pool),
    subnetsV6: v6.map((d) => d.pool),
  };
}
