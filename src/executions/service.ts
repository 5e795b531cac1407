// Executions as the API sees them: reads, and the operator's transitions, each delegated to the
// state machine (./state/), which is the only code that changes an execution's status and
// publishes the change. Kept as the stable surface GraphQL and other modules call.
import type { OwnAuditRow } from "../audit/service.ts";
import type { Execution, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { conflict, notFound, validation } from "../errors.ts";
import type { ExecutionState, LogLine, NewRun, NumberedLine } from "./state/index.ts";
import { ACTIVE_STATUSES, isFinal } from "./state/index.ts";

export { ACTIVE_STATUSES, FINAL_STATUSES, isFinal } from "./state/index.ts";
export type { FinalState, NewRun, ProgressFields } from "./state/index.ts";

export class ExecutionService {
  constructor(private readonly deps: { prisma: PrismaClient; state: ExecutionState }) {}

  async get(id: number): Promise<Execution> {
    const row = await this.deps.prisma.execution.findUnique({ where: { id } });
    if (!row) throw notFound(`execution ${id}`);
    return row;
  }

  /** triggerTask: a paused task runs once; a disabled one does not run at all. */
  trigger(taskId: number, params: unknown, force: boolean, actor: string | null, audit?: OwnAuditRow): Promise<Execution> {
    if (params !== null && params !== undefined && (typeof params !== "object" || Array.isArray(params))) {
      throw validation("params", "params must be a JSON object");
    }
    return this.deps.state.trigger(taskId, (params as Record<string, unknown> | null | undefined) ?? null, force, actor, audit);
  }

  /** a new PENDING run inside the caller's transaction; call `created` with it after the commit */
  insertRun(tx: Prisma.TransactionClient, run: NewRun): Promise<Execution> {
    return this.deps.state.insertRun(tx, run);
  }

  /** publish (and wake the runners for) new rows once their transaction committed */
  created(rows: Execution[]): void {
    this.deps.state.created(rows);
  }

  cancel(id: number, actor: string | null): Promise<Execution> {
    return this.deps.state.cancel(id, actor);
  }

  /** a reused workflow step (rerun from failure), SUCCEEDED as the step it repeats */
  insertReused(tx: Prisma.TransactionClient, run: NewRun, from: Execution, now: Date): Promise<Execution> {
    return this.deps.state.insertReused(tx, run, from, now);
  }

  /** cancelExecutions: every PENDING or RUNNING run matching `where`, or none: more than `max`
   *  matches is VALIDATION and nothing changes. */
  async cancelMatching(where: Prisma.ExecutionWhereInput, actor: string | null, max: number): Promise<number> {
    const found = await this.deps.prisma.execution.findMany({
      where: { AND: [where, { status: { in: [...ACTIVE_STATUSES] } }] },
      select: { id: true },
      orderBy: { id: "asc" },
      take: max + 1,
    });
    if (found.length > max) throw validation("filter", `the filter matches more than ${max} active executions; narrow it`);
    return this.deps.state.cancelMany(found.map((r) => r.id), actor);
  }

  markFailed(id: number, reason: string | null, actor: string | null): Promise<Execution> {
    return this.deps.state.markFailed(id, reason, actor);
  }

  async delete(id: number): Promise<void> {
    const row = await this.get(id);
    if (!isFinal(row.status)) throw conflict(`execution ${id} is ${row.status}; cancel it first`);
    await this.deps.prisma.execution.delete({ where: { id } });
  }

  appendLogs(id: number, lines: LogLine[], maxLines: number): Promise<NumberedLine[]> {
    return this.deps.state.appendLogs(id, lines, maxLines);
  }
}
