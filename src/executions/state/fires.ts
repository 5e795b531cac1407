// The fire transition of the execution state machine: for a batch of due tasks, ONE statement
// advances each task's persisted next fire and inserts its fires, or does nothing for a task
// whose row is no longer what the caller planned from. Set-based, no interactive transaction.
//
// Fencing: a task advances only if its row still has the nextRunAt and updatedAt the plan was
// computed from (and is enabled, not paused, with the scheduler running). So any number of
// instances can propose the same tick: the first commits, the others find the fence moved and
// insert nothing; a task edited meanwhile (anywhere) is re-read rather than fired on stale data.
// The unique partial index "Execution_fire_key" (taskId, scheduledAt) for SCHEDULE/CATCH_UP is
// the last guard: a fire inserted twice is one row. Task rows are locked with SKIP LOCKED: the
// statement does not wait behind an edit or another instance's fire (unless asked to), and
// claims never hold task rows (they serialise on an advisory lock per task).
//
// A fire may also be recorded as SKIPPED with an error (a fire that must not run, e.g. on a day a
// calendar closed after it was planned): it keeps its (taskId, scheduledAt) slot and shows in
// history, but is never claimed.
//
// The caller publishes the created rows after this returns (the commit): see Fires.write.
import type { Sql } from "../../db/database.ts";
import type { Execution, PrismaClient } from "../../generated/prisma/client.ts";
import type { AlertEvent, ExecutionStatus, TriggerKind } from "../../generated/prisma/enums.ts";
import { ALERT_TOPIC } from "../../alerts/outbox.ts";
import type { AlertPayload } from "../../alerts/payload.ts";
import { run, statement } from "./sql.ts";

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
  /** alert causes written to the outbox with the advance (MISSED_FIRE, CALENDAR_GAP) */
  alerts?: FireAlert[];
}

/** An outbox row (topic "alert") of a fire: with `scheduledAt`, it belongs to that fire and is
 *  written only when the fire's row is (and names it); `key` makes the cause unique. */
export interface FireAlert {
  event: Extract<AlertEvent, "MISSED_FIRE" | "CALENDAR_GAP">;
  key?: string;
  scheduledAt?: Date;
  payload: AlertPayload;
}

export interface FireResult {
  /** tasks whose fence held: their nextRunAt is now the planned one */
  advanced: Set<number>;
  /** tasks whose row was locked by somebody else: undecided, propose again soon */
  busy: Set<number>;
  /** the executions inserted (PENDING or SKIPPED), in id order (a task's oldest fire first) */
  created: Execution[];
}

/** the fire statements' name (both variants start with it): a comment in their text and the
 *  prepared statement's name, so tests and pg_stat_statements tell them apart on both backends */
export const FIRE_STATEMENT_TAG = "jobgraph_fires";

const FENCE = `t."nextRunAt" = b."expectedNextRunAt" AND t."updatedAt" = b."expectedUpdatedAt"
    AND t.enabled AND NOT t.paused
    AND NOT EXISTS (SELECT 1 FROM "SchedulerState" s WHERE s.id = 1 AND s.paused)`;

// The last SELECT returns the inserted rows, then one row of NULL execution columns carrying the
// id lists (a join of `advanced` with `inserted` would be planned as a nested loop: CTE row
// estimates are 1).
const text = (skipLocked: boolean) => `/* ${FIRE_STATEMENT_TAG} */
WITH batch AS (
  SELECT * FROM jsonb_to_recordset(:tasks::jsonb)
    AS b(id int, "expectedNextRunAt" timestamptz, "expectedUpdatedAt" timestamptz, "nextRunAt" timestamptz,
         "auditAction" text, "auditActor" text, "auditDetails" jsonb)
), planned AS (
  SELECT * FROM jsonb_to_recordset(:fires::jsonb)
    AS f("taskId" int, "scheduledAt" timestamptz, trigger "TriggerKind", "runAfter" timestamptz,
         status "ExecutionStatus", error text, ord int)
), locked AS (
  SELECT t.id FROM "Task" t JOIN batch b ON b.id = t.id
  WHERE ${FENCE}
  ORDER BY t.id
  FOR NO KEY UPDATE OF t${skipLocked ? " SKIP LOCKED" : ""}
), busy AS (
  -- fence holds in the snapshot of this statement but somebody holds the row (a claim, an edit,
  -- another instance firing it): not decided here, the caller proposes it again shortly
  -- (no apostrophes or colon-words in these comments: statement() numbers parameters outside quoted literals)
  SELECT t.id FROM "Task" t JOIN batch b ON b.id = t.id
  WHERE ${FENCE} AND t.id NOT IN (SELECT id FROM locked)
), advanced AS (
  UPDATE "Task" t SET "nextRunAt" = b."nextRunAt"
  FROM batch b
  WHERE t.id = b.id AND t.id IN (SELECT id FROM locked)
  RETURNING t.id
), inserted AS (
  INSERT INTO "Execution" ("taskId", trigger, status, "scheduledAt", "runAfter", error, "finishedAt", "durationMs", "createdAt", "updatedAt")
  SELECT f."taskId", f.trigger, f.status, f."scheduledAt", f."runAfter", f.error,
         CASE WHEN f.status = 'SKIPPED' THEN :now::timestamptz END,
         CASE WHEN f.status = 'SKIPPED' THEN 0 END,
         :now::timestamptz, :now::timestamptz
  FROM planned f JOIN advanced a ON a.id = f."taskId"
  ORDER BY f.ord
  ON CONFLICT ("taskId", "scheduledAt") WHERE trigger IN ('SCHEDULE', 'CATCH_UP') DO NOTHING
  RETURNING *
), audited AS (
  INSERT INTO "AuditEvent" (at, actor, action, ok, "taskId", details)
  SELECT :now::timestamptz, b."auditActor", b."auditAction", true, b.id, b."auditDetails"
  FROM batch b JOIN advanced a ON a.id = b.id
  WHERE b."auditAction" IS NOT NULL
), alerted AS (
  INSERT INTO "Outbox" (topic, event, key, "taskId", "executionId", payload, "createdAt")
  SELECT '${ALERT_TOPIC}', o.event, o.key, o."taskId", i.id, o.payload, :now::timestamptz
  FROM jsonb_to_recordset(:alerts::jsonb) AS o("taskId" int, event text, key text, "scheduledAt" timestamptz, payload jsonb)
  JOIN advanced a ON a.id = o."taskId"
  LEFT JOIN inserted i ON i."taskId" = o."taskId" AND i."scheduledAt" = o."scheduledAt"
  WHERE o."scheduledAt" IS NULL OR i.id IS NOT NULL
  ON CONFLICT (key) DO NOTHING
)
(SELECT i.*, NULL::int[] AS "advancedIds", NULL::int[] AS "busyIds" FROM inserted i ORDER BY i.id)
UNION ALL
SELECT (NULL::"Execution").*, (SELECT coalesce(array_agg(id), '{}') FROM advanced), (SELECT coalesce(array_agg(id), '{}') FROM busy)`;

type Params = "tasks" | "fires" | "now" | "alerts";
const SKIPPING = statement<Params, Row>(FIRE_STATEMENT_TAG, text(true));
const WAITING = statement<Params, Row>(`${FIRE_STATEMENT_TAG}_waiting`, text(false));

type Row = Execution & { advancedIds: number[] | null; busyIds: number[] | null };

/**
 * Records one batch of fires in one statement (its own transaction) and returns what changed.
 * It never waits for a row lock (SKIP LOCKED): a task whose row is held elsewhere comes back in
 * `busy`; `waitForLocks` waits instead (for a task that was busy already: a row claimed over and
 * over would otherwise never be fired; rows are locked in id order, as claims lock them). A task in neither set was not touched because its row moved on (another instance fired
 * it, someone edited, paused or disabled it): the caller must re-read it.
 */
export async function recordFires(sql: Sql, batch: TaskAdvance[], now: Date, opts: { waitForLocks?: boolean } = {}): Promise<FireResult> {
  if (!batch.length) return { advanced: new Set(), busy: new Set(), created: [] };
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
  const alerts = batch.flatMap((t) =>
    (t.alerts ?? []).map((a) => ({ taskId: t.taskId, event: a.event, key: a.key ?? null, scheduledAt: a.scheduledAt?.toISOString() ?? null, payload: a.payload })),
  );
  const rows = await run(sql, opts.waitForLocks ? WAITING : SKIPPING, { tasks: JSON.stringify(tasks), fires: JSON.stringify(fires), now, alerts: JSON.stringify(alerts) });
  const { advancedIds, busyIds } = rows.at(-1)!;
  const created = rows.slice(0, -1).map(({ advancedIds: _a, busyIds: _b, ...row }) => row as Execution);
  return { advanced: new Set(advancedIds), busy: new Set(busyIds), created };
}

/**
 * resumeScheduler in one statement: every task's next fire re-planned (`replans`, computed from
 * now by the caller) and the scheduler switched on, together, so no instance fires a due time
 * that was planned before the pause. Task rows are locked in id order (as claims lock them); a
 * task edited since the caller read it (updatedAt moved) keeps the plan its edit made.
 */
export async function resumeScheduler(prisma: PrismaClient, replans: { taskId: number; expectedUpdatedAt: Date; nextRunAt: Date | null }[], now: Date): Promise<void> {
  const rows = JSON.stringify(replans.map((r) => ({ id: r.taskId, expectedUpdatedAt: r.expectedUpdatedAt.toISOString(), nextRunAt: r.nextRunAt?.toISOString() ?? null })));
  await prisma.$executeRawUnsafe(
    `WITH plan AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS p(id int, "expectedUpdatedAt" timestamptz, "nextRunAt" timestamptz)
     ), locked AS (
       SELECT t.id FROM "Task" t JOIN plan p ON p.id = t.id WHERE t."updatedAt" = p."expectedUpdatedAt" ORDER BY t.id FOR NO KEY UPDATE OF t
     ), replanned AS (
       UPDATE "Task" t SET "nextRunAt" = p."nextRunAt", "updatedAt" = $2::timestamptz
       FROM plan p WHERE t.id = p.id AND t.id IN (SELECT id FROM locked)
       RETURNING t.id
     )
     INSERT INTO "SchedulerState" (id, paused, "updatedAt") VALUES (1, false, $2::timestamptz)
     ON CONFLICT (id) DO UPDATE SET paused = false, "updatedAt" = $2::timestamptz`,
    rows,
    now,
  );
}
