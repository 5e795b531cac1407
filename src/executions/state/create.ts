// Creating runs: a manual trigger (one statement that also checks the task), rows inserted in a
// caller's transaction (workflow steps, reruns, backfills: published with `created` after the
// commit), and a batch of new runs in one statement.
import type { Sql } from "../../db/database.ts";
import type { OwnAuditRow } from "../../audit/service.ts";
import { conflict, notFound } from "../../errors.ts";
import { Prisma, type Execution, type PrismaClient } from "../../generated/prisma/client.ts";
import { jsonParam } from "./finish.ts";
import { run, statement } from "./sql.ts";
import type { FinalStatus, NewRun } from "./types.ts";

type Tx = Prisma.TransactionClient;

const NEW_RUN_COLUMNS = `"taskId" int, trigger text, "scheduledAt" timestamptz, "runAfter" timestamptz, params jsonb, manual bool,
  force bool, "triggeredBy" text, "parentId" int, "stepId" text, attempt int, "retryOfId" int, "rerunOfId" int`;

const INSERT_RUNS = statement<"runs" | "now", Execution>(
  "jobgraph_insert_runs",
  `INSERT INTO "Execution" ("taskId", trigger, "scheduledAt", "runAfter", params, manual, force, "triggeredBy",
                            "parentId", "stepId", attempt, "retryOfId", "rerunOfId", "updatedAt")
   SELECT r."taskId", r.trigger::"TriggerKind", r."scheduledAt", coalesce(r."runAfter", r."scheduledAt"), r.params,
          coalesce(r.manual, false), coalesce(r.force, false), r."triggeredBy", r."parentId", r."stepId",
          coalesce(r.attempt, 1), r."retryOfId", r."rerunOfId", :now::timestamptz
   FROM jsonb_to_recordset(:runs::jsonb) AS r(${NEW_RUN_COLUMNS})
   RETURNING *`,
);

/** a manual run of an enabled task, and its audit row when an action is given (one statement, one
 *  commit); nothing at all when the task is missing or disabled */
const TRIGGER = statement<"task" | "now" | "params" | "force" | "actor" | "action" | "details", Execution>(
  "jobgraph_trigger",
  `WITH run AS (
     INSERT INTO "Execution" ("taskId", trigger, "scheduledAt", "runAfter", params, manual, force, "triggeredBy", "updatedAt")
     SELECT t.id, 'MANUAL', :now::timestamptz, :now::timestamptz, :params::jsonb, true, :force::bool, :actor::text, :now::timestamptz
     FROM "Task" t WHERE t.id = :task::int AND t.enabled
     RETURNING *
   ), audit AS (
     INSERT INTO "AuditEvent" (at, actor, action, ok, "taskId", "executionId", details)
     SELECT :now::timestamptz, :actor::text, :action::text, true, run."taskId", run.id, :details::jsonb
     FROM run WHERE :action::text IS NOT NULL
   )
   SELECT * FROM run`,
);

export class Creator {
  constructor(private readonly deps: { sql: Sql; prisma: PrismaClient; now: () => Date }) {}

  /** triggerTask: a paused task runs once; a disabled one does not run at all. */
  async trigger(taskId: number, params: Record<string, unknown> | null, force: boolean, actor: string | null, audit?: OwnAuditRow): Promise<Execution> {
    const [row] = await run(this.deps.sql, TRIGGER, {
      task: taskId,
      now: this.deps.now(),
      params: params === null ? null : jsonParam(params),
      force,
      actor,
      action: audit?.action ?? null,
      details: audit?.details === undefined ? null : jsonParam(audit.details),
    });
    if (row) return row;
    const task = await this.deps.prisma.task.findUnique({ where: { id: taskId }, select: { name: true } });
    if (!task) throw notFound(`task ${taskId}`);
    throw conflict(`task "${task.name}" is disabled`);
  }

  /** new runs in one statement (not published: the caller publishes what it returns) */
  insertRuns(runs: readonly NewRun[]): Promise<Execution[]> {
    if (!runs.length) return Promise.resolve([]);
    return run(this.deps.sql, INSERT_RUNS, { runs: jsonParam(runs), now: this.deps.now() });
  }

  /** one new PENDING run inside the caller's transaction; publish with `created` after the commit */
  insertRun(tx: Tx, run: NewRun): Promise<Execution> {
    return this.insert(tx, run, { status: "PENDING" });
  }

  /** a workflow step that will never run, created already SKIPPED (a final state: publish it
   *  with `created` after the commit, like any new row, and it counts as finished) */
  insertSkipped(tx: Tx, run: NewRun, error: string, now: Date): Promise<Execution> {
    return this.insert(tx, run, { status: "SKIPPED", finishedAt: now, error });
  }

  /** a workflow step reused by a rerun from failure: created already SUCCEEDED with the result,
   *  log tail and item counts of the step it repeats (publish with `created` after the commit) */
  insertReused(tx: Tx, run: NewRun, from: Execution, now: Date): Promise<Execution> {
    return this.insert(tx, { ...run, rerunOfId: from.id }, {
      status: "SUCCEEDED",
      finishedAt: now,
      result: (from.result ?? undefined) as Prisma.InputJsonValue | undefined,
      logTail: from.logTail,
      progress: 1,
      progressMessage: `reused: succeeded in execution #${from.id}`,
      processedItems: from.processedItems,
      totalItems: from.totalItems,
    });
  }

  private insert(
    tx: Tx,
    run: NewRun,
    state: Pick<Prisma.ExecutionUncheckedCreateInput, "finishedAt" | "error" | "result" | "logTail" | "progress" | "progressMessage" | "processedItems" | "totalItems"> & { status: "PENDING" | FinalStatus },
  ): Promise<Execution> {
    return tx.execution.create({
      data: {
        ...state,
        taskId: run.taskId,
        trigger: run.trigger,
        scheduledAt: run.scheduledAt,
        runAfter: run.runAfter ?? run.scheduledAt,
        params: (run.params ?? undefined) as Prisma.InputJsonValue | undefined,
        manual: run.manual ?? false,
        force: run.force ?? false,
        triggeredBy: run.triggeredBy ?? null,
        parentId: run.parentId ?? null,
        stepId: run.stepId ?? null,
        attempt: run.attempt ?? 1,
        retryOfId: run.retryOfId ?? null,
        rerunOfId: run.rerunOfId ?? null,
      },
    });
  }
}
