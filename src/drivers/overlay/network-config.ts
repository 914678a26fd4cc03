import { OptionKeys, type IpamData, type NetworkOptions } from "../../driverapi/index.js";
import { InvalidParameterError } from "../../errors.js";
import { cidrAddress, networkOf, parseIp, parsePrefix } from "../../inet/index.js";
import { subnetBridgeName, vxlanName } from "./names.js";
import { parseVxlanIdList, VXLAN_ID_LIST_OPTION } from "./vxlan-ids.js";

/** One IPv4 subnet of an overlay network: its own VNI, bridge and vxlan device. */
export interface OverlaySubnet {
  /** "10.0.0.0/24". */
  readonly pool: string;
  /** The gateway with the pool's length, "10.0.0.1/24", put on the bridge as libnetwork does. */
  readonly gateway: string | undefined;
  readonly vni: number;
  readonly bridge: string;
  readonly vxlan: string;
}

export interface OverlayNetworkConfig {
  readonly name: string;
  readonly subnets: readonly OverlaySubnet[];
  /** The MTU the user chose; undefined: derived from the underlay at the first join. */
  readonly mtu: number | undefined;
  readonly containerIfacePrefix: string;
}

/** What VXLAN and its outer UDP/IP headers take from the underlay's MTU. */
export const VXLAN_OVERHEAD = { 4: 50, 6: 70 } as const;

export function parseOverlayNetworkConfig(options: NetworkOptions, v4: readonly IpamData[]): OverlayNetworkConfig {
  if (v4.length === 0) throw new InvalidParameterError(`overlay network ${options.name} needs at least one IPv4 subnet`);
  const listed = options.driverOpts[VXLAN_ID_LIST_OPTION];
  if (listed === undefined) {
    throw new InvalidParameterError(`overlay network ${options.name} has no VXLAN ids (${VXLAN_ID_LIST_OPTION}): it was not allocated`);
  }
  const vnis = parseVxlanIdList(listed, v4.length);
  return {
    name: options.name,
    subnets: v4.map((d, i) => ({
      pool: d.pool,
      gateway: d.gateway,
      vni: vnis[i]!,
      bridge: subnetBridgeName(vnis[i]!),
      vxlan: vxlanName(vnis[i]!),
    })),
    mtu: parseMtu(options.driverOpts[OptionKeys.driverMTU]),
    containerIfacePrefix: options.driverOpts[OptionKeys.containerIfacePrefix] || "eth",
  };
}

function parseMtu(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const mtu = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(mtu >= 68 && mtu <= 65535)) throw new InvalidParameterError(`option ${OptionKeys.driverMTU}: "${value}" is not an MTU (68-65535)`);
  return mtu;
}

/** The subnet holding an address (plain or CIDR), if any. */
export function subnetOf(subnets: readonly OverlaySubnet[], address: string): OverlaySubnet | undefined {
  let ip;
  try {
    ip = parseIp(cidrAddress(address));
  } catch {
    // An address that does not parse is in no subnet: the caller refuses it (an endpoint) or skips it (a peer).
    return undefined;
  }
  return subnets.find((s) => {
    const pool = parsePrefix(s.pool);
    return pool.family === ip.family && networkOf(pool).equals(networkOf({ ...ip, prefixLen: pool.prefixLen }));
  });
}
