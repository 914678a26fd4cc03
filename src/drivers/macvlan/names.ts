/**
 * Names of the kernel objects the macvlan driver makes. Docker names the
 * parent it makes for a network without one "dm-<network id>"; cnm puts its
 * prefix in front ("<prefix>dm<network id>", within Linux's 15 bytes) so that
 * a restarted daemon and the orphan sweep know it as theirs. The characters
 * after the prefix are "dm" and the id is hex: no other cnm name ("-", "h"
 * after the prefix) and no other prefix's name can match, since 'm' is not a
 * hex digit.
 *
 * An endpoint's macvlan link is created straight inside the sandbox's
 * namespace as "<prefix>m<endpoint id>" and renamed there (eth0...), so it
 * never carries a name in the host's namespace.
 */
export function dummyParentName(prefix: string, nid: string): string {
  return `${prefix}dm${nid.slice(0, 13 - prefix.length)}`;
}

/** Matches exactly the names dummyParentName gives for this prefix. */
export function dummyParentPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}dm[0-9a-f]{${13 - prefix.length}}$`);
}

export function macvlanLinkName(prefix: string, eid: string): string {
  return `${prefix}m${eid.slice(0, 14 - prefix.length)}`;
}

/**
 * The alias (IFLA_IFALIAS) of a parent link the driver created, a VLAN
 * sub-interface or a dummy: "<prefix>:<network id>". A user's own "eth0.10"
 * has no such alias, so it is never adopted on restart nor deleted with a
 * network, and the orphan sweep can tell the driver's sub-interfaces (whose
 * names are the user's) from anyone else's.
 */
export function ownerAlias(prefix: string, nid: string): string {
  return `${prefix}:${nid}`;
}

/** True for an alias ownerAlias gave under this prefix (for any network). */
export function isOwnerAlias(prefix: string, alias: string | undefined): boolean {
  return alias !== undefined && new RegExp(`^${prefix}:[0-9a-f]{64}$`).test(alias);
}
