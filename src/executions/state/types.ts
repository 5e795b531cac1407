// The vocabulary of the state machine: statuses, what a transition is asked to write, and the
// changes it reports. (Imported by everything that needs to know whether a run is over.)
import type { Execution } from "../../generated/prisma/client.ts";
import type { ExecutionStatus, TriggerKind } from "../../generated/prisma/enums.ts";

export const FINAL_STATUSES: readonly ExecutionStatus[] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = ["PENDING", "RUNNING"];
export const isFinal = (s: ExecutionStatus) => FINAL_STATUSES.includes(s);

export type FinalStatus = Exclude<ExecutionStatus, "PENDING" | "RUNNING">;

export interface NewRun {
  taskId: number;
  trigger: TriggerKind;
  scheduledAt: Date;
  runAfter?: Date;
  params?: Record<string, unknown> | null;
  manual?: boolean;
  force?: boolean;
  triggeredBy?: string | null;
  parentId?: number | null;
  stepId?: string | null;
  attempt?: number;
  retryOfId?: number | null;
  /** rerunExecution / a reused workflow step: the run this one repeats */
  rerunOfId?: number | null;
}

export interface FinalState {
  status: FinalStatus;
  error?: string | null;
  /** undefined: keep what the row has */
  result?: unknown;
  logTail?: string | null;
  /** when the run really began, if later than its claim said (it was claimed ahead of a slot) */
  startedAt?: Date;
}

export interface ProgressFields {
  progress?: number | null;
  progressMessage?: string | null;
  processedItems?: number | null;
  totalItems?: number | null;
  currentItem?: string | null;
}

/**
 * What a transition did to one row, as published after the commit:
 * - created: a new row (PENDING, or already final: a skipped workflow step)
 * - claimed: PENDING → RUNNING (this instance's worker, or a workflow parent)
 * - finished: → a final status
 * - progress: fields of a RUNNING row (progress, the parent's step counts)
 * - cancelRequested: the flag was set on a RUNNING row
 * - released: RUNNING → PENDING, a run claimed ahead of a free slot handed back unstarted
 */
export type ChangeKind = "created" | "claimed" | "finished" | "progress" | "cancelRequested" | "released";

export interface Change {
  kind: ChangeKind;
  row: Execution;
}

/** whether the change moved the row to another status (subscriptions of status changes see it) */
export function statusChanged(kind: ChangeKind): boolean {
  switch (kind) {
    case "created":
    case "claimed":
    case "finished":
    case "released":
      return true;
    case "progress":
    case "cancelRequested":
      return false;
  }
}

/** the change ended a run: it was finished, or created already final (a skipped workflow step) */
export function endsRun(c: Change): boolean {
  return c.kind === "finished" || (c.kind === "created" && isFinal(c.row.status));
}
