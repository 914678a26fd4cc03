import { InvalidParameterError } from "../../errors.js";
import { hasErrorCode, type Link, type NetlinkHandle } from "../../linux/index.js";
import { isOwnerAlias, ownerAlias } from "./names.js";
import { parseVlanParent, type MacvlanNetworkConfig } from "./network-config.js";

/** The parent link of a network, as found or made at createNetwork. */
export interface ParentLink {
  readonly name: string;
  /**
   * True when this driver (under this prefix) made the link, now or in an
   * earlier run: it goes when the last network on it does. A link the user
   * made stays, whatever its name.
   */
  readonly owned: boolean;
  /** True when this call made it (so a failure later in createNetwork removes it again). */
  readonly createdNow: boolean;
}

/**
 * Finds the network's parent link or makes it: the dummy of a network
 * without a parent, or the 802.1q sub-interface "<link>.<vlan id>" the user
 * named and that does not exist yet. A link left by an earlier run of this
 * daemon (recognised by its alias) is adopted as it is.
 */
export function ensureParentLink(host: NetlinkHandle, prefix: string, config: MacvlanNetworkConfig): ParentLink {
  const existing = host.linkFind(config.parent);
  if (existing) {
    checkUsable(existing, config);
    return { name: config.parent, owned: isOwnerAlias(prefix, existing.alias), createdNow: false };
  }
  const marker = ownerAlias(prefix, config.id);
  if (config.dummyParent) {
    createDummy(host, config.parent);
  } else {
    const vlan = parseVlanParent(config.parent);
    const lower = host.linkFind(vlan.lower);
    if (!lower) throw new InvalidParameterError(`the parent interface ${vlan.lower} of the VLAN sub-interface ${config.parent} was not found on the host`);
    if (lower.name === "lo") throw new InvalidParameterError("loopback interface is not a valid macvlan parent link");
    try {
      host.linkAdd({ kind: "vlan", name: config.parent, parent: lower.index, vlanId: vlan.vlanId });
    } catch (err) {
      if (hasErrorCode(err, "EOPNOTSUPP")) {
        throw new InvalidParameterError(
          `cannot create the VLAN sub-interface ${config.parent}: the kernel of this host has no 802.1q VLAN support (CONFIG_VLAN_8021Q)`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  try {
    // The alias first, so that a crash between the two still leaves a link cnm knows as its own.
    host.linkSet(config.parent, { alias: marker, ipv6AddrGenMode: "none" });
    host.linkSetUp(config.parent);
    checkUsable(host.linkGet(config.parent), config);
  } catch (err) {
    removeParentLink(host, config.parent);
    throw err;
  }
  return { name: config.parent, owned: true, createdNow: true };
}

/**
 * The dummy parent. Docker uses a "dummy" link; a kernel built without
 * dummy interfaces (CONFIG_DUMMY unset, which refuses the kind) gets a Linux
 * bridge without ports instead. Either way a link up with carrier that
 * delivers nothing its macvlans send to the host or beyond: a bridge's own
 * transmissions go only to its ports, and it has none.
 */
function createDummy(host: NetlinkHandle, name: string): void {
  try {
    host.linkAdd({ kind: "dummy", name });
  } catch (err) {
    if (!hasErrorCode(err, "EOPNOTSUPP")) throw err;
    host.linkAdd({ kind: "bridge", name });
  }
}

function checkUsable(link: Link, config: MacvlanNetworkConfig): void {
  if (link.name === "lo" || link.type === 772) throw new InvalidParameterError("loopback interface is not a valid macvlan parent link");
  // ARPHRD_ETHER: macvlan needs an Ethernet lower device (the kernel refuses others with EINVAL).
  if (link.type !== 1) throw new InvalidParameterError(`interface ${link.name} is not an Ethernet link: it cannot be the parent of macvlan network ${config.name}`);
  if (config.mtu !== undefined && config.mtu > link.mtu) {
    throw new InvalidParameterError(`MTU ${config.mtu} of macvlan network ${config.name} is above the MTU ${link.mtu} of its parent ${link.name}`);
  }
}

/** Deletes a parent link the driver made; gone already is fine. */
export function removeParentLink(host: NetlinkHandle, name: string): void {
  try {
    host.linkDel(name);
  } catch (err) {
    if (!hasErrorCode(err, "ENODEV")) throw err;
  }
}
