// What an operator does the morning after: rerun a run (a workflow from its failure), backfill a
// task's schedule over a past range, cancel or retry many runs at once. Every execution created
// or changed here goes through the ExecutionService (insertRun + created, insertReused,
// cancelMatching): this module decides *which* runs, the state machine writes them.
//
// Decisions worth knowing:
// - A rerun keeps the original's nominal time (scheduledAt): rerunning Tuesday's failed sync
//   processes Tuesday. It starts now (runAfter), as trigger RERUN, manual, rerunOf the original,
//   and waits its turn under the task's overlap policy like a retry (it is never SKIPPED).
// - fromFailure (workflow parents): the new parent gets, before it starts, one SUCCEEDED child per
//   step it takes over (trigger RERUN, rerunOf the old step attempt, its params and result copied,
//   no start time or duration: it did not run again). The workflow plan then sees those steps done
//   and runs only the others — no special case in the engine.
// - Backfill runs are fires: trigger BACKFILL at their nominal time, so the unique fire key keeps
//   one run per (task, fire) across schedules, catch-ups and backfills. They start now, oldest
//   first, one at a time unless the task's overlap policy is ALLOW (they are never SKIPPED).
// - Bulk retry takes FAILED and TIMED_OUT runs (CANCELLED ones only when the filter's status names
//   CANCELLED: a cancel is somebody's decision), top-level runs only (a workflow step is rerun
//   with its workflow, fromFailure), not already retried, of enabled tasks. A retry is trigger
//   RETRY, attempt + 1, retryOf the run, with its params and nominal time, starting now.
import type { Clock } from "../clock.ts";
import { conflict, notFound, validation } from "../errors.ts";
import type { Execution, Prisma, PrismaClient, Task } from "../generated/prisma/client.ts";
import type { ExecutionStatus } from "../generated/prisma/enums.ts";
import { firesBetween } from "../scheduler/fires-between.ts";
import type { FireFilter } from "../scheduler/schedule.ts";
import { workflowConfig } from "../tasks/config-schemas.ts";
import { reusableSteps } from "../workflows/plan.ts";
import { executionWhere, type ExecutionFilter } from "./history.ts";
import { ACTIVE_STATUSES, isFinal, type ExecutionService } from "./service.ts";

/** the most runs one backfill, bulk cancel or bulk retry may touch */
export const BULK_MAX = 1000;

const RETRYABLE: readonly ExecutionStatus[] = ["FAILED", "TIMED_OUT", "CANCELLED"];
const RETRIED_BY_DEFAULT: readonly ExecutionStatus[] = ["FAILED", "TIMED_OUT"];
/** the triggers that are fires of a nominal time (the partial unique index Execution_fire_key) */
const FIRE_TRIGGERS = ["SCHEDULE", "CATCH_UP", "BACKFILL"] as const;

export interface BackfillResult {
  /** runs created, oldest first */
  executions: Execution[];
  created: number;
  /** fires of the range that already had a run */
  skipped: number;
}

export interface OperationsDeps {
  prisma: PrismaClient;
  executions: ExecutionService;
  clock: Clock;
  /** the task's trading-calendar day filter (CalendarService.fireFilter): backfills honour it */
  fireFilter: (task: Task, db: Prisma.TransactionClient) => Promise<FireFilter | undefined>;
}

type Params = Record<string, unknown> | null;

function paramsArg(params: unknown): Params {
  if (params === null || params === undefined) return null;
  if (typeof params !== "object" || Array.isArray(params)) throw validation("params", "params must be a JSON object");
  return params as Record<string, unknown>;
}

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export class Operations {
  constructor(private readonly deps: OperationsDeps) {}

  async rerun(id: number, params: unknown, fromFailure: boolean, actor: string | null): Promise<Execution> {
    const given = paramsArg(params);
    const now = this.deps.clock.now();
    const { executions } = this.deps;
    const rows = await this.deps.prisma.$transaction(async (tx) => {
      const source = await tx.execution.findUnique({ where: { id }, include: { task: true } });
      if (!source) throw notFound(`execution ${id}`);
      if (!isFinal(source.status)) throw conflict(`execution ${id} is ${source.status}; only a finished run can be rerun`);
      if (!source.task.enabled) throw conflict(`task "${source.task.name}" is disabled`);
      if (fromFailure && source.task.kind !== "WORKFLOW") throw validation("fromFailure", "fromFailure reruns a workflow run; this is a " + source.task.kind + " run");
      if (fromFailure && source.status === "SUCCEEDED") throw conflict(`execution ${id} succeeded: there is no failure to rerun from`);
      const merged = given ? { ...asObject(source.params), ...given } : (source.params as Params);
      const parent = await executions.insertRun(tx, {
        taskId: source.taskId,
        trigger: "RERUN",
        scheduledAt: source.scheduledAt,
        runAfter: now,
        params: merged && Object.keys(merged).length ? merged : null,
        manual: true,
        triggeredBy: actor,
        rerunOfId: source.id,
      });
      if (!fromFailure) return [parent];
      const config = workflowConfig.safeParse(source.task.config);
      if (!config.success) throw conflict(`task "${source.task.name}" has an invalid workflow config`);
      const children = await tx.execution.findMany({ where: { parentId: source.id } });
      const names = [...new Set(config.data.steps.map((s) => s.task))];
      const tasks = await tx.task.findMany({ where: { name: { in: names } }, select: { id: true, name: true } });
      const reused = reusableSteps(config.data, children, new Map(tasks.map((t) => [t.name, t.id])));
      const copies: Execution[] = [];
      for (const [stepId, old] of reused) {
        const copy = await executions.insertReused(
          tx,
          { taskId: old.taskId, trigger: "RERUN", scheduledAt: now, params: old.params as Params, triggeredBy: actor, parentId: parent.id, stepId },
          old,
          now,
        );
        copies.push(copy);
      }
      return [parent, ...copies];
    });
    executions.created(rows);
    return rows[0]!;
  }

  async backfill(taskId: number, from: Date, until: Date, params: unknown, actor: string | null): Promise<BackfillResult> {
    const given = paramsArg(params);
    const now = this.deps.clock.now();
    if (from.getTime() >= until.getTime()) throw validation("until", "until must be after from");
    if (until.getTime() > now.getTime()) throw validation("until", "a backfill covers past fires: until must not be in the future");
    const { executions } = this.deps;
    const result = await this.deps.prisma.$transaction(async (tx) => {
      // the lock a schedule fire takes: no fire of this task is inserted while we decide
      const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Task" WHERE id = ${taskId} FOR NO KEY UPDATE`;
      if (!locked.length) throw notFound(`task ${taskId}`);
      const task = (await tx.task.findUnique({ where: { id: taskId } }))!;
      if (!task.enabled) throw conflict(`task "${task.name}" is disabled`);
      if (task.cron === null && task.intervalSeconds === null && task.runAt === null) throw validation("id", `task "${task.name}" has no schedule to backfill`);
      const { fires, truncated } = firesBetween(task, from, until, BULK_MAX, task.nextRunAt, await this.deps.fireFilter(task, tx));
      if (truncated) throw validation("from", `the range holds more than ${BULK_MAX} fires of "${task.name}"; backfill a shorter range`);
      const existing = await tx.execution.findMany({
        where: { taskId, trigger: { in: [...FIRE_TRIGGERS] }, scheduledAt: { in: fires } },
        select: { scheduledAt: true },
      });
      const taken = new Set(existing.map((e) => e.scheduledAt.getTime()));
      const rows: Execution[] = [];
      for (const at of fires) {
        if (taken.has(at.getTime())) continue;
        rows.push(await executions.insertRun(tx, { taskId, trigger: "BACKFILL", scheduledAt: at, runAfter: now, params: given, manual: true, triggeredBy: actor }));
      }
      return { executions: rows, created: rows.length, skipped: fires.length - rows.length };
    });
    executions.created(result.executions);
    return result;
  }

  cancelMatching(filter: ExecutionFilter, actor: string | null): Promise<number> {
    const statuses = filter.status?.length ? filter.status : ACTIVE_STATUSES;
    const wrong = statuses.find((s) => !ACTIVE_STATUSES.includes(s));
    if (wrong) throw validation("filter.status", `only PENDING or RUNNING executions can be cancelled, not ${wrong}`);
    return this.deps.executions.cancelMatching(executionWhere(filter), actor, BULK_MAX);
  }

  async retryMatching(filter: ExecutionFilter, actor: string | null): Promise<number> {
    const statuses = filter.status?.length ? filter.status : RETRIED_BY_DEFAULT;
    const wrong = statuses.find((s) => !RETRYABLE.includes(s));
    if (wrong) throw validation("filter.status", `only FAILED, TIMED_OUT or CANCELLED executions can be retried, not ${wrong}`);
    const where: Prisma.ExecutionWhereInput = {
      AND: [executionWhere(filter), { status: { in: [...statuses] }, parentId: null, retries: { none: {} }, task: { enabled: true } }],
    };
    const now = this.deps.clock.now();
    const { executions } = this.deps;
    const retries = await this.deps.prisma.$transaction(async (tx) => {
      const found = await tx.execution.findMany({ where, select: { id: true }, orderBy: { id: "asc" }, take: BULK_MAX + 1 });
      if (found.length > BULK_MAX) throw validation("filter", `the filter matches more than ${BULK_MAX} executions to retry; narrow it`);
      const ids = found.map((r) => r.id);
      if (!ids.length) return [];
      // lock, then read again: a concurrent bulk retry of the same runs has committed its retries
      // by the time we hold the locks, and this read sees them
      await tx.$queryRaw`SELECT id FROM "Execution" WHERE id = ANY(${ids}::int[]) ORDER BY id FOR NO KEY UPDATE`;
      const sources = await tx.execution.findMany({ where: { AND: [where, { id: { in: ids } }] }, orderBy: { id: "asc" } });
      const out: Execution[] = [];
      for (const row of sources) {
        out.push(
          await executions.insertRun(tx, {
            taskId: row.taskId,
            trigger: "RETRY",
            scheduledAt: row.scheduledAt,
            runAfter: now,
            params: row.params as Params,
            manual: row.manual,
            force: row.force,
            triggeredBy: actor,
            attempt: row.attempt + 1,
            retryOfId: row.id,
          }),
        );
      }
      return out;
    });
    executions.created(retries);
    return retries.length;
  }
}
