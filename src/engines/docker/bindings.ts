import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** What a Docker network stands for in cnm. */
export interface Binding {
  /** The cnm network's id. */
  readonly network: string;
  /** cnm made the network for this Docker network (`-o cnm.driver`): it goes when the Docker network goes. */
  readonly created: boolean;
}

/**
 * Docker network id -> cnm network, kept in a small JSON file beside cnmd's
 * store: dockerd names networks by its own ids in every later call, and never
 * tells a restarted plugin about them again. Written whole and renamed into
 * place, so a crash leaves the old file or the new one.
 */
export class Bindings {
  private readonly byDockerId = new Map<string, Binding>();

  constructor(private readonly path: string) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read Docker's network bindings at ${path}: ${String(err)}`);
      return;
    }
    for (const [id, b] of Object.entries((doc ?? {}) as Record<string, Partial<Binding>>)) {
      if (typeof b.network === "string") this.byDockerId.set(id, { network: b.network, created: b.created === true });
    }
  }

  get(dockerId: string): Binding | undefined {
    return this.byDockerId.get(dockerId);
  }

  entries(): [dockerId: string, binding: Binding][] {
    return [...this.byDockerId];
  }

  set(dockerId: string, binding: Binding): void {
    this.byDockerId.set(dockerId, binding);
    this.save();
  }

  delete(dockerId: string): void {
    if (this.byDockerId.delete(dockerId)) this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.byDockerId), null, 1));
    renameSync(tmp, this.path);
  }
}
