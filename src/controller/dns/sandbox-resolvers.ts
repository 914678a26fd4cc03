import type { SandboxRecord } from "../../controllerapi/index.js";
import type { EmbeddedResolver, ResolverOptions, ResolverRecords, Upstream } from "../../resolver/contract.js";
import { errorText } from "../../log/index.js";

/** Starts a resolver in a sandbox's namespace (src/resolver's startResolver on Linux). */
export type ResolverFactory = (options: ResolverOptions) => Promise<EmbeddedResolver>;

/** A sandbox's resolver could not start: the sandbox keeps plain nameservers. */
export class ResolverStartError extends Error {
  constructor(sandbox: string, cause: unknown) {
    super(`embedded DNS of sandbox ${sandbox} not started: ${errorText(cause)}`, { cause });
    this.name = "ResolverStartError";
  }
}

/**
 * The running resolvers, one per sandbox that joined a network serving
 * names. A resolver, once started, stays until the sandbox goes (Docker's
 * too): resolv.conf already points at it.
 */
export class SandboxResolvers {
  private readonly running = new Map<string, Promise<EmbeddedResolver | undefined>>();

  constructor(
    private readonly factory: ResolverFactory | undefined,
    private readonly onError: (err: unknown, sandbox: string) => void,
  ) {}

  get enabled(): boolean {
    return this.factory !== undefined;
  }

  has(sandboxId: string): boolean {
    return this.running.has(sandboxId);
  }

  /**
   * Starts the sandbox's resolver unless it runs; true when it runs now. A
   * resolver that cannot start (e.g. the sandbox serves DNS on port 53
   * itself) is reported and the sandbox keeps the host's nameservers, as
   * Docker carries on without its resolver.
   */
  async ensure(sb: SandboxRecord, records: ResolverRecords, upstreams: readonly Upstream[]): Promise<boolean> {
    if (!this.factory) return false;
    let started = this.running.get(sb.id);
    if (!started) {
      started = this.factory({
        namespace: sb.key,
        records,
        upstreams,
        onError: (err) => this.onError(err, sb.name),
      }).catch((err: unknown) => {
        this.onError(new ResolverStartError(sb.name, err), sb.name);
        this.running.delete(sb.id);
        return undefined;
      });
      this.running.set(sb.id, started);
    }
    return (await started) !== undefined;
  }

  async stop(sandboxId: string): Promise<void> {
    const started = this.running.get(sandboxId);
    this.running.delete(sandboxId);
    const resolver = await started;
    await resolver?.close();
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.running.keys()]) await this.stop(id);
  }
}
