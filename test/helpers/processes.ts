/** Whether a process still runs. PID 1 of some containers does not reap orphans, so a zombie
 *  (state Z: dead, waiting to be reaped) counts as gone. The same rule as the PGlite lock's. */
export { isProcessAlive as isAlive } from "../../src/db/pglite-lock.ts";
