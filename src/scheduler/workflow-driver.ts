import type { Execution, Task } from "../generated/prisma/client.ts";

/**
 * Drives WORKFLOW runs. A workflow parent holds no runner slot and no lease: its state lives in
 * its child executions, so any instance can advance it, and a restart continues where it stopped.
 */
export interface WorkflowDriver {
  /** the runner claimed a WORKFLOW execution (now RUNNING): create its first steps */
  start(parent: Execution, task: Task): Promise<void>;
  /** cancel was requested on a RUNNING workflow parent */
  cancelRequested(parent: Execution): Promise<void>;
  /** start-up and safety poll: advance every RUNNING workflow (missed events, restarts, timeouts) */
  resumeAll(): Promise<void>;
  /** no more advances; waits for the ones under way (after the runner stopped: its shutdown
   *  cancels still advance their workflows) */
  stop(): Promise<void>;
}
