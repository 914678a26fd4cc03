import { NotFoundError } from "../errors.js";
import { PluginClient, type PluginClientOptions } from "./client.js";
import { DEFAULT_PLUGIN_DIRS, findPlugin } from "./discovery.js";
import { PluginUnavailableError } from "./errors.js";

/** What a plugin implements, as Plugin.Activate names it. */
export type PluginKind = "NetworkDriver" | "IpamDriver" | (string & {});

/** An activated plugin: its client and what it implements. */
export interface ActivePlugin {
  readonly name: string;
  readonly client: PluginClient;
  readonly implements: readonly string[];
}

export interface PluginsOptions extends PluginClientOptions {
  /** Directories searched for sockets and spec files, in order. Default: /run/cnm/plugins, then Docker's. */
  readonly dirs?: readonly string[];
}

/**
 * Finds and activates legacy plugins by name, as Docker's pkg/plugins Get:
 * discovery, then the Plugin.Activate handshake, then the check that the
 * plugin implements what the caller needs. An activated plugin is kept, and
 * concurrent lookups of one name share one activation.
 */
export class Plugins {
  private readonly active = new Map<string, Promise<ActivePlugin>>();
  readonly dirs: readonly string[];

  constructor(private readonly options: PluginsOptions = {}) {
    this.dirs = options.dirs ?? DEFAULT_PLUGIN_DIRS;
  }

  async get(name: string, kind: PluginKind): Promise<ActivePlugin> {
    let pending = this.active.get(name);
    if (!pending) {
      pending = this.activate(name);
      this.active.set(name, pending);
      // A failed activation is not remembered: the plugin may be started later.
      pending.catch(() => this.active.delete(name));
    }
    const plugin = await pending;
    if (!plugin.implements.includes(kind)) {
      throw new NotFoundError(`plugin "${name}" does not implement ${kind} (it implements: ${plugin.implements.join(", ") || "nothing"})`);
    }
    return plugin;
  }

  /** Forgets an activated plugin, so the next get() finds and activates it again. */
  forget(name: string): void {
    this.active.delete(name);
  }

  private async activate(name: string): Promise<ActivePlugin> {
    const found = findPlugin(name, this.dirs);
    const client = new PluginClient(name, found.addr, this.options);
    const answer = await client.call<{ Implements?: unknown }>("Plugin.Activate");
    const impl = answer.Implements;
    if (!Array.isArray(impl) || !impl.every((i): i is string => typeof i === "string")) {
      throw new PluginUnavailableError(name, "Plugin.Activate", `answer has no "Implements" list of strings: ${JSON.stringify(answer)}`);
    }
    return { name, client, implements: impl };
  }
}
