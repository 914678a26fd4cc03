import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/**
 * One daemon per data root: a lock file holding the owner's pid. A lock left
 * by a process that no longer runs (kill -9) is taken over.
 */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`another cnmd (pid ${pid}) is using this data root (lock ${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/**
 * Whether pid is a running cnmd: not a zombie (a killed daemon whose parent has
 * not reaped it yet) and not an unrelated process that got the pid since.
 */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cnmd");
  } catch (err) {
    // No such process (or it exited between the two reads). Anything else is not "dead", and is thrown.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}
