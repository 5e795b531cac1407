// The contract between the runner and an executor: one module per task kind turns a claimed
// execution into a result, reporting progress and log lines through this small context.
import type { Logger } from "pino";
import type { z } from "zod";

/** Any subset; the runner merges it into the execution row and publishes it. */
export interface ProgressUpdate {
  progress?: number; // 0..1
  message?: string;
  processed?: number;
  total?: number;
  currentItem?: string;
}

export type LogStream = "stdout" | "stderr" | "system";

export interface ExecutionContext {
  executionId: number;
  taskName: string;
  /** the run's logical time, `Execution.scheduledAt`: the nominal fire time it is for (a catch-up
   *  of Monday's 06:00 fire says Monday 06:00), or the moment of a manual trigger; retries and
   *  reruns keep the time of the run they repeat. A sync processes this date, not today. */
  scheduledAt: Date;
  /** the task's config, already validated for its kind when the task was saved */
  config: Record<string, unknown>;
  /** the run's params merged over the config defaults */
  params: Record<string, unknown>;
  /** aborted on cancel, timeout or shutdown; `signal.reason` says which */
  signal: AbortSignal;
  progress(update: ProgressUpdate): void;
  log(stream: LogStream, text: string): void;
  logger: Logger;
}

export interface ExecutorOutcome {
  result?: unknown;
}

/** The run failed for a reason of its own (non-zero exit, unexpected HTTP status, handler error):
 *  the message becomes `Execution.error`. Anything else thrown is treated the same way. */
export class ExecutionFailure extends Error {
  constructor(message: string, readonly result?: unknown) {
    super(message);
    this.name = "ExecutionFailure";
  }
}

export type Executor = (ctx: ExecutionContext) => Promise<ExecutorOutcome>;

/** One line per run error: "steps: Invalid input: expected number, received string; stepMs: …" */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}

/** Shared by all executors: the abort reason (cancel, timeout, shutdown) as text for the error. */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  if (reason === undefined) return "aborted";
  if (typeof reason === "string") return reason;
  try {
    return JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}
