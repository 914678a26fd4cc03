export { servePlugin, servePluginCalls, type PluginServer, type PluginServerOptions, type PluginCallsOptions, type PluginHandler } from "./server.js";
export { str, stringsOf, endpointOptionsOf } from "./translate.js";
