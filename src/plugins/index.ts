export { PluginClient, PLUGIN_MIMETYPE, type PluginClientOptions } from "./client.js";
export { findPlugin, DEFAULT_PLUGIN_DIRS, CNM_PLUGINS_DIR, DOCKER_SOCKETS_DIR, DOCKER_SPECS_DIRS, type PluginAddress } from "./discovery.js";
export { PluginCallError, PluginUnavailableError } from "./errors.js";
export { Plugins, type ActivePlugin, type PluginKind, type PluginsOptions } from "./plugins.js";
