// The fire transition of the execution state machine: for a batch of due tasks, ONE statement
// advances each task's persisted next fire and inserts its fires, or does nothing for a task
// whose row is no longer what the caller planned from. Set-based, no interactive transaction.
//
// Fencing: a task advances only if its row still has the nextRunAt and updatedAt the plan was
// computed from (and is enabled, not paused, with the scheduler running). So any number of
// instances can propose the same tick: the first commits, the others find the fence moved and
// insert nothing; a task edited meanwhile (anywhere) is re-read rather than fired on stale data.
// The unique partial index "Execution_fire_key" (taskId, scheduledAt) for SCHEDULE/CATCH_UP is
// the last guard: a fire inserted twice is one row. Task rows are locked in id order, so two
// instances firing overlapping batches cannot deadlock.
//
// A fire may also be recorded as SKIPPED with an error (a fire that must not run, e.g. on a day a
// calendar closed after it was planned): it keeps its (taskId, scheduledAt) slot and shows in
// history, but is never claimed.
//
// The caller publishes the created rows after this returns (the commit): see Fires.tick.
import type { Execution, PrismaClient } from "../../generated/prisma/client.ts";
import type { ExecutionStatus, TriggerKind } from "../../generated/prisma/enums.ts";

export interface PlannedFire {
  scheduledAt: Date;
  trigger: Extract<TriggerKind, "SCHEDULE" | "CATCH_UP">;
  /** not claimable before this: the nominal time for on-time fires, now for catch-ups */
  runAfter: Date;
  /** set: record the fire as SKIPPED with this error instead of PENDING */
  skipped?: string;
}

export interface TaskAdvance {
  taskId: number;
  /** the fence: the row must still hold these */
  expectedNextRunAt: Date;
  expectedUpdatedAt: Date;
  /** what nextRunAt becomes (null: the schedule has no further fire) */
  nextRunAt: Date | null;
  fires: PlannedFire[];
  /** an audit row written with the advance (misfires) */
  audit?: { action: string; actor: string; details: Record<string, unknown> };
}

export interface FireResult {
  /** tasks whose fence held: their nextRunAt is now the planned one */
  advanced: Set<number>;
  /** the executions inserted (PENDING or SKIPPED), oldest fire first per task */
  created: Execution[];
}

/** statement marker: lets tests and pg_stat_statements tell the fire statement apart */
export const FIRE_STATEMENT_TAG = "jobgraph:fires";

const SQL = `/* ${FIRE_STATEMENT_TAG} */
WITH batch AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS b(id int, "expectedNextRunAt" timestamptz, "expectedUpdatedAt" timestamptz, "nextRunAt" timestamptz,
         "auditAction" text, "auditActor" text, "auditDetails" jsonb)
), planned AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb)
    AS f("taskId" int, "scheduledAt" timestamptz, trigger "TriggerKind", "runAfter" timestamptz,
         status "ExecutionStatus", error text, ord int)
), locked AS (
  SELECT t.id FROM "Task" t JOIN batch b ON b.id = t.id
  WHERE t."nextRunAt" = b."expectedNextRunAt" AND t."updatedAt" = b."expectedUpdatedAt"
    AND t.enabled AND NOT t.paused
    AND NOT EXISTS (SELECT 1 FROM "SchedulerState" s WHERE s.id = 1 AND s.paused)
  ORDER BY t.id
  FOR NO KEY UPDATE OF t
), advanced AS (
  UPDATE "Task" t SET "nextRunAt" = b."nextRunAt"
  FROM batch b
  WHERE t.id = b.id AND t.id IN (SELECT id FROM locked)
  RETURNING t.id
), inserted AS (
  INSERT INTO "Execution" ("taskId", trigger, status, "scheduledAt", "runAfter", error, "finishedAt", "durationMs", "createdAt", "updatedAt")
  SELECT f."taskId", f.trigger, f.status, f."scheduledAt", f."runAfter", f.error,
         CASE WHEN f.status = 'SKIPPED' THEN $3::timestamptz END,
         CASE WHEN f.status = 'SKIPPED' THEN 0 END,
         $3::timestamptz, $3::timestamptz
  FROM planned f JOIN advanced a ON a.id = f."taskId"
  ORDER BY f.ord
  ON CONFLICT ("taskId", "scheduledAt") WHERE trigger IN ('SCHEDULE', 'CATCH_UP') DO NOTHING
  RETURNING *
), audited AS (
  INSERT INTO "AuditEvent" (at, actor, action, ok, "taskId", details)
  SELECT $3::timestamptz, b."auditActor", b."auditAction", true, b.id, b."auditDetails"
  FROM batch b JOIN advanced a ON a.id = b.id
  WHERE b."auditAction" IS NOT NULL
)
SELECT a.id AS "advancedTaskId", i.*
FROM advanced a LEFT JOIN inserted i ON i."taskId" = a.id
ORDER BY i.id`;

type Row = Execution & { advancedTaskId: number };

/**
 * Records one batch of fires in one statement (its own transaction) and returns what changed.
 * Tasks absent from `advanced` were not touched: their row moved on (another instance fired
 * them, someone edited, paused or disabled them) and the caller must re-read them.
 */
export async function recordFires(prisma: PrismaClient, batch: TaskAdvance[], now: Date): Promise<FireResult> {
  if (!batch.length) return { advanced: new Set(), created: [] };
  let ord = 0;
  const tasks = batch.map((t) => ({
    id: t.taskId,
    expectedNextRunAt: t.expectedNextRunAt.toISOString(),
    expectedUpdatedAt: t.expectedUpdatedAt.toISOString(),
    nextRunAt: t.nextRunAt?.toISOString() ?? null,
    auditAction: t.audit?.action ?? null,
    auditActor: t.audit?.actor ?? null,
    auditDetails: t.audit?.details ?? null,
  }));
  const fires = batch.flatMap((t) =>
    t.fires.map((f) => ({
      taskId: t.taskId,
      scheduledAt: f.scheduledAt.toISOString(),
      trigger: f.trigger,
      runAfter: f.runAfter.toISOString(),
      status: (f.skipped === undefined ? "PENDING" : "SKIPPED") satisfies ExecutionStatus,
      error: f.skipped ?? null,
      ord: ord++,
    })),
  );
  const rows = await prisma.$queryRawUnsafe<Row[]>(SQL, JSON.stringify(tasks), JSON.stringify(fires), now);
  const advanced = new Set<number>();
  const created: Execution[] = [];
  for (const { advancedTaskId, ...row } of rows) {
    advanced.add(advancedTaskId);
    if (row.id !== null) created.push(row as Execution);
  }
  return { advanced, created };
}
