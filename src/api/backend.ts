import type { Controller } from "../controller/index.js";

/**
 * The controller operations the API serves. A structural subset of
 * Controller, so the API depends only on what it calls (and a daemon can
 * wrap the controller, e.g. to persist or to log, without subclassing).
 */
export type ApiController = Pick<
  Controller,
  | "createNetwork"
  | "deleteNetwork"
  | "networks"
  | "network"
  | "networkEndpoints"
  | "endpointOperInfo"
  | "createSandbox"
  | "deleteSandbox"
  | "sandboxes"
  | "sandbox"
  | "connect"
  | "disconnect"
  | "driverNames"
>;
