/** The `cnm` command line of this checkout, pointed at one daemon's socket. */
import { fileURLToPath } from "node:url";
import { runCommand, type ExecResult, type RunOptions } from "./process-run.js";

/** bin/cnm of this checkout (dist/src/testbed/ -> repo root). */
export const CNM_BIN = fileURLToPath(new URL("../../../bin/cnm", import.meta.url));

/** Runs `cnm --host unix://<socket> ...args` (CNM_HOST unset, so only the flag counts). */
export function runCnm(socket: string, args: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
  const env = { ...(options.env ?? process.env) };
  delete env.CNM_HOST;
  return runCommand([process.execPath, CNM_BIN, "--host", `unix://${socket}`, ...args], { ...options, env });
}
