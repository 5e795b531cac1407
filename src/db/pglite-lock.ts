// One process per PGlite data folder. PGlite has no postmaster to turn a second process away, and
// two processes writing one folder corrupt it. A lock file beside the folder (`<folder>.lock`)
// holds the owner's pid; a lock whose pid is gone (SIGKILL, power loss) is stale and taken over,
// and so is one holding our own pid from an earlier life (a container restarted as pid 1).
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StartupError } from "../startup-error.ts";

/** Lock files this process holds: a second open of the same folder here is refused too. */
const held = new Set<string>();
process.once("exit", () => {
  for (const file of held) removeIfOurs(file);
});

/** Takes the folder's lock or throws StartupError naming the process that holds it. */
export function lockDataFolder(dir: string): () => void {
  const folder = path.resolve(dir);
  const file = `${folder}.lock`;
  if (held.has(file)) throw locked(folder, process.pid, file);
  // two attempts: a stale lock is removed once, then creating ours must win or someone else did
  for (let attempt = 1; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readOwner(file);
    if (owner !== null && owner !== process.pid && isProcessAlive(owner)) throw locked(folder, owner, file);
    if (attempt === 2) throw locked(folder, owner, file);
    unlinkQuietly(file);
  }
  held.add(file);
  return () => {
    if (held.delete(file)) removeIfOurs(file);
  };
}

/** Whether `pid` runs; a zombie (dead, not yet reaped by a PID 1 that never reaps) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    return true; // EPERM: it exists, under another user
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}

function locked(folder: string, owner: number | null, file: string): StartupError {
  return new StartupError(
    `the embedded database in ${folder} is in use by ${owner === null ? "another process" : `process ${owner}`} (lock file ${file}); ` +
      "stop that process or set another JOBGRAPH_DATA_DIR (several instances need PostgreSQL: DATABASE_URL)",
  );
}

function readOwner(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function removeIfOurs(file: string) {
  if (readOwner(file) === process.pid) unlinkQuietly(file);
}

function unlinkQuietly(file: string) {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
