import { cidrAddress } from "../../inet/index.js";
import { OptionKeys, type IpamData, type NetworkOptions } from "../../driverapi/index.js";
import { InvalidParameterError } from "../../errors.js";
import type { MacvlanMode } from "../../linux/index.js";
import { dummyParentName } from "./names.js";

/** The modes Docker accepts for -o macvlan_mode ("source" is the kernel's, not Docker's). */
export const MACVLAN_MODES: readonly MacvlanMode[] = ["bridge", "private", "vepa", "passthru"];

/** What a macvlan network is, decided once at creation from the user's options and IPAM's data. */
export interface MacvlanNetworkConfig {
  readonly id: string;
  readonly name: string;
  /** The host link the endpoints' macvlans hang off: the user's, an 802.1q sub-interface, or the dummy. */
  readonly parent: string;
  /** True when the user named no parent: the driver makes a dummy one, and the network reaches nothing else. */
  readonly dummyParent: boolean;
  readonly mode: MacvlanMode;
  /** No gateway: asked for (--internal), or implied by having no parent (as Docker). */
  readonly internal: boolean;
  /** The user's MTU; undefined: the parent's (the kernel's default for a macvlan). */
  readonly mtu: number | undefined;
  readonly containerIfacePrefix: string;
  /** Gateways as plain addresses ("192.0.2.1"): outside the host, so nothing here carries them. */
  readonly gatewaysV4: readonly string[];
  readonly gatewaysV6: readonly string[];
  readonly subnetsV4: readonly string[];
  readonly subnetsV6: readonly string[];
}

/** An 802.1q sub-interface named as Docker expects: "<lower link>.<vlan id>". */
export interface VlanParent {
  readonly lower: string;
  readonly vlanId: number;
}

/** Linux interface names: at most 15 bytes, no '/', ':', whitespace or control characters. */
const IFNAME_RE = /^[a-zA-Z0-9_.@-]{1,15}$/;


export function parseMacvlanNetworkConfig(
  prefix: string,
  nid: string,
  options: NetworkOptions,
  v4: readonly IpamData[],
  v6: readonly IpamData[],
): MacvlanNetworkConfig {
  const o = options.driverOpts;
  if (v4.length === 0 && v6.length === 0) throw new InvalidParameterError(`macvlan network ${options.name} has no subnet`);
  const mode = (o[OptionKeys.macvlanMode] || "bridge") as MacvlanMode;
  if (!MACVLAN_MODES.includes(mode)) {
    throw new InvalidParameterError(
      `requested macvlan mode '${o[OptionKeys.macvlanMode]}' is not valid (${MACVLAN_MODES.join(", ")}); 'bridge' mode is the macvlan driver default`,
    );
  }
  const userParent = o[OptionKeys.macvlanParent] ?? "";
  if (userParent === "lo") throw new InvalidParameterError("loopback interface is not a valid macvlan parent link");
  if (userParent !== "" && !IFNAME_RE.test(userParent)) {
    throw new InvalidParameterError(`macvlan parent "${userParent}" is not a valid interface name (1-15 of [a-zA-Z0-9_.@-])`);
  }
  const ifPrefix = o[OptionKeys.containerIfacePrefix] ?? "eth";
  if (!/^[a-z][a-z0-9]{0,9}$/.test(ifPrefix)) {
    throw new InvalidParameterError(`option ${OptionKeys.containerIfacePrefix}: "${ifPrefix}" must be 1-10 lowercase letters or digits`);
  }
  const mtu = parseMtu(o[OptionKeys.driverMTU]);
  if (mtu !== undefined && options.enableIPv6 && mtu < 1280) throw new InvalidParameterError(`MTU ${mtu} is below IPv6's minimum of 1280`);
  return {
    id: nid,
    name: options.name,
    parent: userParent || dummyParentName(prefix, nid),
    dummyParent: userParent === "",
    mode,
    internal: options.internal || userParent === "",
    mtu,
    containerIfacePrefix: ifPrefix,
    gatewaysV4: v4.flatMap((d) => (d.gateway ? [cidrAddress(d.gateway)] : [])),
    gatewaysV6: v6.flatMap((d) => (d.gateway ? [cidrAddress(d.gateway)] : [])),
    subnetsV4: v4.map((d) => d.pool),
    subnetsV6: v6.map((d) => d.pool),
  };
}

function parseMtu(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const mtu = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(mtu >= 68 && mtu <= 65535)) throw new InvalidParameterError(`option ${OptionKeys.driverMTU}: "${value}" is not an MTU (68-65535)`);
  return mtu;
}

/**
 * Reads a parent that does not exist as the sub-interface to create, as
 * Docker does: exactly "<link>.<vlan id>" with an id of 1-4094.
 */
export function parseVlanParent(parent: string): VlanParent {
  const parts = parent.split(".");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new InvalidParameterError(
      `the macvlan parent interface ${parent} was not found on the host (to have a VLAN sub-interface made, name it <interface>.<vlan id>, e.g. eth0.10)`,
    );
  }
  const [lower, vid] = parts as [string, string];
  if (!/^\d{1,9}$/.test(vid)) throw new InvalidParameterError(`unable to parse a valid vlan id from "${vid}" in parent ${parent} (e.g. eth0.10 for vlan 10)`);
  const vlanId = Number(vid);
  if (vlanId < 1 || vlanId > 4094) throw new InvalidParameterError(`vlan id must be between 1-4094, received: ${vlanId}`);
  return { lower, vlanId };
}
