/**
 * Runs a clean-up step whose failure must not hide the error being handled
 * (or stop the remaining clean-up steps). Used only on undo paths.
 */
export async function bestEffort(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch {
    // Deliberately ignored: the caller is already failing or tearing down.
  }
}
