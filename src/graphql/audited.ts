// Every mutation writes an AuditEvent: who, what, whether it worked and on what. Wrapping the
// resolver (rather than each service method) makes it impossible to add a mutation that forgets.
import type { Context } from "./context.ts";

export interface AuditTarget {
  taskId?: number | null;
  executionId?: number | null;
}

export async function audited<T>(
  ctx: Context,
  action: string,
  target: AuditTarget,
  details: Record<string, unknown> | undefined,
  run: () => Promise<T>,
  targetOf?: (result: T) => AuditTarget,
): Promise<T> {
  const actor = ctx.viewer?.sub ?? null;
  const clean = details ? (JSON.parse(JSON.stringify(details)) as Record<string, never>) : undefined;
  try {
    const result = await run();
    await ctx.audit.record({ actor, action, ok: true, ...target, ...targetOf?.(result), details: clean });
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
