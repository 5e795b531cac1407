// Every mutation writes an AuditEvent: who, what, whether it worked and on what. Wrapping the
// resolver (rather than each service method) makes it impossible to add a mutation that forgets.
import type { OwnAuditRow } from "../audit/service.ts";
import type { Context } from "./context.ts";

/** The audit action of each mutation (what `auditEvents(action:)` filters on). */
export const AUDIT_ACTIONS = {
  createTask: "task.create",
  updateTask: "task.update",
  deleteTask: "task.delete",
  enableTask: "task.enable",
  disableTask: "task.disable",
  pauseTask: "task.pause",
  resumeTask: "task.resume",
  triggerTask: "task.trigger",
  cancelExecution: "execution.cancel",
  markExecutionFailed: "execution.markFailed",
  deleteExecution: "execution.delete",
  pauseScheduler: "scheduler.pause",
  resumeScheduler: "scheduler.resume",
  createCalendar: "calendar.create",
  updateCalendar: "calendar.update",
  deleteCalendar: "calendar.delete",
  setCalendarDays: "calendar.setDays",
  createAlertChannel: "alertChannel.create",
  updateAlertChannel: "alertChannel.update",
  deleteAlertChannel: "alertChannel.delete",
  testAlertChannel: "alertChannel.test",
  rerunExecution: "execution.rerun",
  backfillTask: "task.backfill",
  cancelExecutions: "execution.cancelMany",
  retryExecutions: "execution.retryMany",
} as const;

/** A mutation refused before its resolver ran (no token, a role too low) is on record too. */
export function auditDenied(ctx: Context, field: string, error: string): void {
  const action = (AUDIT_ACTIONS as Record<string, string>)[field] ?? field;
  void ctx.audit.record({ actor: ctx.viewer?.sub ?? null, action, ok: false, error, details: { denied: true } });
}

export interface AuditTarget {
  taskId?: number | null;
  executionId?: number | null;
}

/**
 * Runs a mutation and records it: its success row after it worked, or its failure row. `run` may
 * call `own()` to have the service write the success row in the statement of the change itself
 * (it gets the row's action and details; actor and target are the service's own arguments): then
 * no second write follows. A mutation that fails after `own()` rolled its statement back, row and
 * all, and its failure is recorded here as any other's.
 */
export async function audited<T>(
  ctx: Context,
  action: string,
  target: AuditTarget,
  details: Record<string, unknown> | undefined,
  run: (own: () => OwnAuditRow) => Promise<T>,
  /** the target after success; a delete returns nulls (its id stays in `details`) */
  targetOf?: (result: T) => AuditTarget,
  /** more details once it worked (a bulk action's count) */
  resultDetails?: (result: T) => Record<string, unknown>,
): Promise<T> {
  const actor = ctx.viewer?.sub ?? null;
  const clean = details ? (JSON.parse(JSON.stringify(details)) as Record<string, never>) : undefined;
  let owned = false;
  const own = (): OwnAuditRow => {
    owned = true;
    return { action, details: clean };
  };
  try {
    const result = await run(own);
    if (owned) return result;
    const more = resultDetails ? (JSON.parse(JSON.stringify(resultDetails(result))) as Record<string, never>) : undefined;
    await ctx.audit.record({ actor, action, ok: true, ...target, ...targetOf?.(result), details: more ? { ...clean, ...more } : clean });
    return result;
  } catch (e) {
    // a rejected mutation changed nothing, but the attempt is on record
    const exists = await targetStillExists(ctx, target);
    await ctx.audit.record({
      actor,
      action,
      ok: false,
      error: e instanceof Error ? e.message : String(e),
      taskId: exists.taskId,
      executionId: exists.executionId,
      details: clean,
    });
    throw e;
  }
}

/** the failed attempt may name a task or execution that does not exist: keep the event anyway */
async function targetStillExists(ctx: Context, target: AuditTarget): Promise<AuditTarget> {
  const [task, execution] = await Promise.all([
    target.taskId ? ctx.prisma.task.findUnique({ where: { id: target.taskId }, select: { id: true } }) : null,
    target.executionId ? ctx.prisma.execution.findUnique({ where: { id: target.executionId }, select: { id: true } }) : null,
  ]);
  return { taskId: task?.id ?? null, executionId: execution?.id ?? null };
}
