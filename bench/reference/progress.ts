// Progress reporting at every 10% of a phase, so a 100-sandbox run prints ten lines per phase.

export type ReferenceTool = "cni" | "netavark";
export type Phase = "add" | "del";

export interface ProgressEvent {
  tool: ReferenceTool;
  phase: Phase;
  done: number;
  total: number;
}

export type ProgressFn = (e: ProgressEvent) => void;

/** The default reporter: one line on stdout, e.g. "[cni] add 30/100". */
export const printProgress: ProgressFn = (e) => {
  console.log(`[${e.tool}] ${e.phase} ${e.done}/${e.total}`);
};

/**
 * Returns a function to call after each completed item; it forwards to `emit` whenever
 * another tenth of `total` is reached (and always at the last item).
 */
export function tenthTicker(tool: ReferenceTool, phase: Phase, total: number, emit: ProgressFn): (done: number) => void {
  let nextTenth = 1;
  return (done) => {
    let crossed = false;
    while (nextTenth <= 10 && done * 10 >= nextTenth * total) {
      nextTenth++;
      crossed = true;
    }
    if (crossed) emit({ tool, phase, done, total });
  };
}
