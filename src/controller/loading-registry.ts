import { ConflictError, NotFoundError } from "../errors.js";

/**
 * Entries by name, where a name not registered is loaded on demand (a
 * plugin: libnetwork's plugins.Get, then registration with what the plugin
 * reports). Concurrent lookups of one name share one load. The base of the
 * network driver and IPAM registries, which differ only in what they hold.
 */
export class LoadingRegistry<T> {
  private readonly entries = new Map<string, T>();
  private readonly loading = new Map<string, Promise<T>>();

  /**
   * @param kind how errors name an entry ("network driver", "IPAM driver")
   * @param listKnownWhenMissing a missing name's error lists the registered ones
   */
  constructor(
    private readonly kind: string,
    private readonly loader: ((name: string) => Promise<T>) | undefined,
    private readonly listKnownWhenMissing: boolean,
  ) {}

  protected add(name: string, entry: T): void {
    if (this.entries.has(name)) throw new ConflictError(`${this.kind} "${name}" is already registered`);
    this.entries.set(name, entry);
  }

  get(name: string): T {
    const found = this.entries.get(name);
    if (found) return found;
    const known = this.listKnownWhenMissing ? ` (known: ${this.names().sort().join(", ")})` : "";
    throw new NotFoundError(`${this.kind} "${name}" not found${known}`);
  }

  /** The entry of that name, loading it when it is not registered. */
  async resolve(name: string): Promise<T> {
    const found = this.entries.get(name);
    if (found || !this.loader) return found ?? this.get(name);
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.loader(name).then((loaded) => {
        if (!this.entries.has(name)) this.entries.set(name, loaded);
        return this.entries.get(name)!;
      });
      this.loading.set(name, pending);
      const done = () => void this.loading.delete(name);
      void pending.then(done, done);
    }
    return pending;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  all(): T[] {
    return [...this.entries.values()];
  }
}
