// The workflow engine's decision, as a pure function of what the database holds: the parent run,
// its task's config and its child executions. No I/O here, so every rule reads in one place:
// which steps start, which are skipped, which are cancelled, and when the parent ends.
//
// A step's state is the state of its latest attempt (highest attempt, then highest id). A step
// whose attempt FAILED/TIMED_OUT but will be retried already has its PENDING RETRY row (the
// execution service inserts it in the same transaction as the failure), so it is still active.
import type { Execution } from "../generated/prisma/client.ts";
import type { ExecutionStatus } from "../generated/prisma/enums.ts";
import type { WorkflowConfig, WorkflowStep } from "../tasks/config-schemas.ts";
import { topologicalOrder } from "../tasks/dag.ts";
import { SHUTDOWN_CANCEL_ERROR } from "../scheduler/runner.ts";
import { ACTIVE_STATUSES } from "../executions/service.ts";

export type StepState =
  | "NOT_STARTED"
  /** latest attempt PENDING or RUNNING */
  | "ACTIVE"
  | "SUCCEEDED"
  /** latest attempt FAILED, TIMED_OUT or CANCELLED (by a user or the workflow), no retry coming */
  | "FAILED"
  | "SKIPPED"
  /** latest attempt was cancelled by an instance shutdown: not a verdict on the step, run it again */
  | "INTERRUPTED";

export interface ParentView {
  id: number;
  status: ExecutionStatus;
  cancelRequested: boolean;
  startedAt: Date | null;
  params: unknown;
  /** the workflow task's own timeout */
  timeoutSeconds: number | null;
}

export interface FinalDecision {
  status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "CANCELLED";
  error: string | null;
  result: { steps: Record<string, ExecutionStatus | "NOT_STARTED"> };
}

export interface ParentProgress {
  progress: number;
  progressMessage: string;
  processedItems: number;
  totalItems: number;
  currentItem: string | null;
}

export interface WorkflowPlan {
  /** steps to start now (a WORKFLOW child each), in topological order */
  create: { step: WorkflowStep; params: Record<string, unknown> | null }[];
  /** attempts interrupted by a shutdown: each gets a RETRY attempt */
  rerun: Execution[];
  /** steps that will never run: a SKIPPED child each, so the children list every step */
  skip: { step: WorkflowStep; error: string }[];
  /** active children to cancel (not yet asked to) */
  cancel: number[];
  /** who the cancel is recorded as ("cancelled by …") */
  cancelActor: string;
  /** the parent's final state, when it ends now */
  finish: FinalDecision | null;
  progress: ParentProgress;
}

export function latestAttempt(rows: Execution[]): Execution | undefined {
  let best: Execution | undefined;
  for (const r of rows) if (!best || r.attempt > best.attempt || (r.attempt === best.attempt && r.id > best.id)) best = r;
  return best;
}

export function isShutdownCancel(row: Pick<Execution, "status" | "error" | "cancelRequested">): boolean {
  return row.status === "CANCELLED" && !row.cancelRequested && row.error === SHUTDOWN_CANCEL_ERROR;
}

function stateOf(row: Execution | undefined): StepState {
  if (!row) return "NOT_STARTED";
  switch (row.status) {
    case "PENDING":
    case "RUNNING":
      return "ACTIVE";
    case "SUCCEEDED":
      return "SUCCEEDED";
    case "SKIPPED":
      return "SKIPPED";
    case "CANCELLED":
      return isShutdownCancel(row) ? "INTERRUPTED" : "FAILED";
    case "FAILED":
    case "TIMED_OUT":
      return "FAILED";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The run's params: the workflow config's `defaults` with the triggered params over them. A key
 * naming a step whose value is an object holds that step's params (merged one level deep with the
 * defaults' entry); every other key is shared by all steps.
 */
export function runParams(config: WorkflowConfig, params: unknown, stepIds: Set<string>): Record<string, unknown> {
  const base = config.defaults ?? {};
  const given = isObject(params) ? params : {};
  const out: Record<string, unknown> = { ...base, ...given };
  for (const id of stepIds) {
    if (isObject(base[id]) && isObject(given[id])) out[id] = { ...base[id], ...given[id] };
  }
  return out;
}

/** step.params, then the run's shared params, then the run's params for this step (last wins) */
export function stepParams(step: WorkflowStep, run: Record<string, unknown>, stepIds: Set<string>): Record<string, unknown> | null {
  const shared: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(run)) if (!(stepIds.has(k) && isObject(v))) shared[k] = v;
  const own = isObject(run[step.id]) ? (run[step.id] as Record<string, unknown>) : {};
  const merged = { ...(step.params ?? {}), ...shared, ...own };
  return Object.keys(merged).length ? merged : null;
}

function describeFailure(stepId: string, row: Execution): string {
  const verb = row.status === "TIMED_OUT" ? "timed out" : row.status === "CANCELLED" ? "was cancelled" : "failed";
  return `step "${stepId}" ${verb}${row.error ? `: ${row.error}` : ""}`;
}

const byFinish = (a: Execution, b: Execution) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0) || a.id - b.id;

export function planWorkflow(input: { parent: ParentView; config: WorkflowConfig; children: Execution[]; now: Date }): WorkflowPlan {
  const { parent, config, children, now } = input;
  const order = topologicalOrder(config.steps);
  const stepIds = new Set(order.map((s) => s.id));
  const attempts = new Map<string, Execution[]>();
  for (const c of children) {
    if (c.stepId === null) continue;
    const list = attempts.get(c.stepId) ?? [];
    list.push(c);
    attempts.set(c.stepId, list);
  }
  const latest = new Map<string, Execution>();
  const state = new Map<string, StepState>();
  for (const s of order) {
    const row = latestAttempt(attempts.get(s.id) ?? []);
    if (row) latest.set(s.id, row);
    state.set(s.id, stateOf(row));
  }
  // every active child, including one of a step removed from the config since it started
  const activeRows = children.filter((c) => ACTIVE_STATUSES.includes(c.status));
  const failures = order
    .filter((s) => state.get(s.id) === "FAILED")
    .map((s) => ({ id: s.id, row: latest.get(s.id)! }))
    .sort((a, b) => byFinish(a.row, b.row));

  const plan: Omit<WorkflowPlan, "progress"> = { create: [], rerun: [], skip: [], cancel: [], cancelActor: `workflow #${parent.id}`, finish: null };

  // ── is the workflow stopping? ──────────────────────────────────────────────────────────────
  let stop: { skipError: string; finishNow?: Omit<FinalDecision, "result">; finishWhenIdle?: Omit<FinalDecision, "result"> } | null = null;
  const overTime =
    parent.timeoutSeconds !== null && parent.startedAt !== null && now.getTime() - parent.startedAt.getTime() >= parent.timeoutSeconds * 1000;
  if (parent.status !== "RUNNING") {
    // ended some other way (marked failed, swept, timed out): nothing of it may go on running
    stop = { skipError: `skipped: the workflow ended (${parent.status})` };
    plan.cancelActor = `workflow #${parent.id} (ended ${parent.status})`;
  } else if (overTime) {
    const error = `timed out after ${parent.timeoutSeconds} s`;
    stop = { skipError: `skipped: the workflow ${error}`, finishNow: { status: "TIMED_OUT", error } };
    plan.cancelActor = `workflow #${parent.id} (timed out)`;
  } else if (parent.cancelRequested) {
    stop = { skipError: "skipped: the workflow was cancelled", finishWhenIdle: { status: "CANCELLED", error: "cancelled" } };
    plan.cancelActor = `workflow #${parent.id} (cancelled)`;
  } else if (failures.length && config.onFailure === "STOP") {
    const first = failures[0]!;
    stop = {
      skipError: `skipped: step "${first.id}" failed (onFailure STOP)`,
      finishWhenIdle: { status: "FAILED", error: describeFailure(first.id, first.row) },
    };
    plan.cancelActor = `workflow #${parent.id} (step "${first.id}" failed)`;
  }

  if (stop) {
    plan.cancel = activeRows.filter((c) => !c.cancelRequested || c.status === "PENDING").map((c) => c.id);
    for (const s of order) {
      if (state.get(s.id) === "NOT_STARTED") {
        plan.skip.push({ step: s, error: stop.skipError });
        state.set(s.id, "SKIPPED");
      }
    }
    const final = stop.finishNow ?? (activeRows.length === 0 ? stop.finishWhenIdle : undefined);
    if (final) plan.finish = { ...final, result: resultOf(order, latest, state) };
  } else {
    plan.rerun = order.filter((s) => state.get(s.id) === "INTERRUPTED").map((s) => latest.get(s.id)!);
    for (const r of plan.rerun) state.set(r.stepId!, "ACTIVE");
    // onFailure CONTINUE: whatever depends on a failed or skipped step will never run
    for (const s of order) {
      if (state.get(s.id) !== "NOT_STARTED") continue;
      const blocker = s.dependsOn.find((d) => state.get(d) === "FAILED" || state.get(d) === "SKIPPED");
      if (blocker) {
        const why = state.get(blocker) === "FAILED" ? "failed" : "was skipped";
        plan.skip.push({ step: s, error: `skipped: depends on step "${blocker}", which ${why}` });
        state.set(s.id, "SKIPPED");
      }
    }
    const ready = order.filter((s) => state.get(s.id) === "NOT_STARTED" && s.dependsOn.every((d) => state.get(d) === "SUCCEEDED"));
    const active = order.filter((s) => state.get(s.id) === "ACTIVE").length;
    const run = parent.params;
    const params = runParams(config, run, stepIds);
    const starting = config.mode === "SERIAL" ? (active === 0 ? ready.slice(0, 1) : []) : ready;
    for (const s of starting) {
      plan.create.push({ step: s, params: stepParams(s, params, stepIds) });
      state.set(s.id, "ACTIVE");
    }
    const settled = order.every((s) => ["SUCCEEDED", "FAILED", "SKIPPED"].includes(state.get(s.id)!));
    if (settled && activeRows.length === 0) {
      plan.finish = failures.length
        ? {
            status: "FAILED",
            error: failures.length === 1 ? describeFailure(failures[0]!.id, failures[0]!.row) : `${failures.length} steps failed: ${failures.map((f) => describeFailure(f.id, f.row)).join("; ")}`,
            result: resultOf(order, latest, state),
          }
        : { status: "SUCCEEDED", error: null, result: resultOf(order, latest, state) };
    } else if (!settled && activeRows.length === 0 && !plan.create.length && !plan.rerun.length) {
      // cannot happen with a validated DAG; never hang if it does
      const waiting = order.filter((s) => state.get(s.id) === "NOT_STARTED").map((s) => s.id);
      plan.finish = { status: "FAILED", error: `workflow cannot make progress: step(s) ${waiting.join(", ")} can never start`, result: resultOf(order, latest, state) };
    }
  }

  return { ...plan, progress: progressOf(order, latest, state, plan, parent.status === "RUNNING" && !plan.finish) };
}

function resultOf(order: WorkflowStep[], latest: Map<string, Execution>, state: Map<string, StepState>): FinalDecision["result"] {
  const steps: FinalDecision["result"]["steps"] = {};
  for (const s of order) {
    const st = state.get(s.id)!;
    steps[s.id] = st === "SKIPPED" ? "SKIPPED" : (latest.get(s.id)?.status ?? "NOT_STARTED");
  }
  return { steps };
}

function progressOf(
  order: WorkflowStep[],
  latest: Map<string, Execution>,
  state: Map<string, StepState>,
  plan: Pick<WorkflowPlan, "create" | "rerun">,
  live: boolean,
): ParentProgress {
  const created = new Set([...plan.create.map((c) => c.step.id), ...plan.rerun.map((r) => r.stepId!)]);
  const statusOf = (id: string): ExecutionStatus | "NOT_STARTED" => {
    if (created.has(id)) return "PENDING";
    if (state.get(id) === "SKIPPED") return "SKIPPED";
    return latest.get(id)?.status ?? "NOT_STARTED";
  };
  const statuses = order.map((s) => ({ id: s.id, status: statusOf(s.id) }));
  const finished = statuses.filter((s) => s.status !== "NOT_STARTED" && !ACTIVE_STATUSES.includes(s.status)).length;
  const running = statuses.filter((s) => s.status === "RUNNING").map((s) => s.id);
  const waiting = statuses.filter((s) => s.status === "PENDING").map((s) => s.id);
  const total = order.length;
  let message: string;
  if (live) {
    const parts = [running.length ? `running: ${running.join(", ")}` : "", waiting.length ? `waiting: ${waiting.join(", ")}` : ""].filter(Boolean);
    message = parts.length ? parts.join("; ") : `${finished} of ${total} steps finished`;
  } else {
    const counts = new Map<string, number>();
    for (const s of statuses) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    const label: Record<string, string> = { TIMED_OUT: "timed out", NOT_STARTED: "not started" };
    message = [...counts].map(([st, n]) => `${n} ${label[st] ?? st.toLowerCase()}`).join(", ");
  }
  return {
    progress: total ? finished / total : 1,
    progressMessage: message,
    processedItems: finished,
    totalItems: total,
    currentItem: live && running.length ? running.join(", ") : null,
  };
}

/**
 * rerunExecution(fromFailure): which steps of an earlier run of the workflow the new run takes
 * over instead of running them again — each step whose latest attempt SUCCEEDED, still runs the
 * same task (`taskIds`: the task id of each step's task name now) and depends only on steps taken
 * over too. Everything else (failed, timed-out, cancelled, skipped or never started steps, and so
 * whatever depends on them) runs again. Keyed by step id, in topological order; the values are
 * the earlier attempts whose result the new run shows.
 */
export function reusableSteps(config: WorkflowConfig, children: Execution[], taskIds: ReadonlyMap<string, number>): Map<string, Execution> {
  const reused = new Map<string, Execution>();
  for (const s of topologicalOrder(config.steps)) {
    const row = latestAttempt(children.filter((c) => c.stepId === s.id));
    if (row?.status !== "SUCCEEDED" || row.taskId !== taskIds.get(s.task)) continue;
    if (s.dependsOn.every((d) => reused.has(d))) reused.set(s.id, row);
  }
  return reused;
}
