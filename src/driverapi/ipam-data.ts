/**
 * The address data the controller obtained from IPAM for one pool of a
 * network, handed to the driver at allocate and create time.
 * Addresses are CIDR strings with the pool's prefix length, e.g. "172.18.0.1/16".
 */
export interface IpamData {
  readonly addressSpace: string;
  /** The pool, e.g. "172.18.0.0/16". */
  readonly pool: string;
  /** The gateway with the pool's prefix length, e.g. "172.18.0.1/16"; absent when the driver needs none. */
  readonly gateway?: string;
  /** Addresses reserved by the user (--aux-address), by name. */
  readonly auxAddresses: Readonly<Record<string, string>>;
}
