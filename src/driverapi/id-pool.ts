/**
 * Cluster-wide unique numbers a global-scope driver reserves for a network,
 * such as VXLAN ids. With a cluster store the reservation is a
 * compare-and-swap in etcd, so two hosts never hold one id; without one an
 * in-memory pool serves a single process.
 */
export interface IdPool {
  /**
   * Reserve ids for `owner` (a network id). `wanted` reserves exactly those
   * (ConflictError when another owner holds any of them, InvalidParameterError
   * when one lies outside the pool's range); otherwise `count` (default 1)
   * free ids are chosen. An owner that already holds ids gets the same ones
   * back, so a retried allocation never takes a second set.
   */
  reserve(owner: string, request: { readonly wanted?: readonly number[]; readonly count?: number }): Promise<number[]>;
  /** Give back every id `owner` holds; an owner holding none is not an error. */
  release(owner: string): Promise<void>;
}
