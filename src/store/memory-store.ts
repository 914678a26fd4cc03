import type { StateStore } from "../controllerapi/index.js";

/** Keeps nothing beyond the process: the controller's own maps already hold the live state. */
export class MemoryStateStore implements StateStore {
  async putNetwork(): Promise<void> {}
  async deleteNetwork(): Promise<void> {}
  async putEndpoint(): Promise<void> {}
  async deleteEndpoint(): Promise<void> {}
  async putSandbox(): Promise<void> {}
  async deleteSandbox(): Promise<void> {}
  async loadAll() {
    return { networks: [], endpoints: [], sandboxes: [] };
  }
}
