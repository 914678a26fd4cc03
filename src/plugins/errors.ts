import { CnmError } from "../errors.js";

/**
 * A plugin answered a call with an error: a non-200 status or a JSON body
 * with a non-empty `Err` (Docker's statusError and remote "Err" field). The
 * message names the plugin and the call and carries the plugin's own words.
 */
export class PluginCallError extends CnmError {
  readonly status = 500;
  constructor(
    readonly plugin: string,
    readonly method: string,
    /** The HTTP status the plugin answered with (200 when only `Err` was set). */
    readonly httpStatus: number,
    readonly pluginMessage: string,
  ) {
    super(`plugin "${plugin}": ${method}: ${pluginMessage}`);
  }

  /**
   * The plugin does not implement this call: 404 (Docker's plugins.IsNotFound;
   * older libnetwork matched "404 page not found") or an error saying so.
   */
  isNotImplemented(): boolean {
    return this.httpStatus === 404 || /unknown (call|method)|not (supported|implemented)/i.test(this.pluginMessage);
  }
}

/**
 * A plugin could not be reached or gave no usable answer: socket absent,
 * connection refused or reset, killed mid-call, timed out, malformed JSON.
 * 503, as for any service cnm depends on that is not there.
 */
export class PluginUnavailableError extends CnmError {
  readonly status = 503;
  constructor(
    readonly plugin: string,
    readonly method: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin "${plugin}": ${method}: ${reason}`, options);
  }
}
