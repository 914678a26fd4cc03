export { servePlugin, type PluginServer, type PluginServerOptions } from "./server.js";
