/**
 * Names of the kernel objects the overlay driver makes. The namespace is
 * global on the host (/run/netns), so it carries the controller's prefix and
 * the network id: "<prefix>-ov-<12 hex digits>", which the orphan sweep
 * recognises. Links inside it need only be unique there.
 */
export function overlayNamespaceName(prefix: string, nid: string): string {
  return `${prefix}-ov-${nid.slice(0, 12)}`;
}

/** Matches exactly the namespace names overlayNamespaceName gives for this prefix. */
export function overlayNamespacePattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}-ov-[0-9a-f]{12}$`);
}

/** The subnet's bridge inside the overlay namespace. */
export function subnetBridgeName(vni: number): string {
  return `br-${vni}`;
}

/** The subnet's vxlan device inside the overlay namespace. */
export function vxlanName(vni: number): string {
  return `vx-${vni}`;
}

/** The endpoint's veth end inside the overlay namespace (on the subnet's bridge). */
export function overlayVethName(eid: string): string {
  return `veth${eid.slice(0, 11)}`;
}

/** The endpoint's veth end as created in the sandbox, before the sandbox renames it (eth0...). */
export function containerVethName(prefix: string, eid: string): string {
  return `${prefix}o${eid.slice(0, 14 - prefix.length)}`;
}
