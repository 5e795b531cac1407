// The claim: one statement that takes up to :limit runnable PENDING rows for a worker and applies
// every task's overlap policy — the one place that policy lives:
//   ALLOW, or a forced run        → runs, whatever else of the task is running
//   SKIP / QUEUE (exclusive runs) → runs when nothing of the task is RUNNING (and only the first
//                                   such candidate of the task in this batch); otherwise
//                                   SKIP skips a new fire or request (SKIPPED), while a catch-up,
//                                   retry or workflow step — the rest of a run already decided
//                                   on — waits its turn, as QUEUE does
//   a disabled task               → SKIPPED (a workflow step: FAILED, so the workflow says why)
//   a paused task or scheduler    → a schedule's fire or catch-up SKIPPED: the pause came before it
//                                   began (fires are written ahead of their time, so one may be
//                                   on record when the pause comes); manual runs go on
// Candidates come from the partial index of PENDING rows in (runAfter, id) order, locked with
// SKIP LOCKED, so instances never take the same row and a claim costs O(batch). A RUNNING row
// that is `exclusive` is unique per task (a partial unique index): when two instances' claims
// race for one task, the second fails and is run again, and then sees the winner's run.
// Workflow parents are claimed too, without a lease or a slot (their engine drives them).
import type { Sql } from "../../db/database.ts";
import type { Execution } from "../../generated/prisma/client.ts";
import { finishCtes, finSelect, FINISHED_ROWS, toChanges, type ChangeRow } from "./finish.ts";
import { intArray } from "./progress.ts";
import { run, statement } from "./sql.ts";
import type { Change } from "./types.ts";

const RUNNING_OF_TASK = `EXISTS (SELECT 1 FROM "Execution" r WHERE r."taskId" = e."taskId" AND r.status = 'RUNNING')`;
const SKIPPABLE = `(e."parentId" IS NULL AND e.trigger IN ('SCHEDULE', 'MANUAL'))`;
const EXCLUSIVE = `(t."overlapPolicy" <> 'ALLOW' AND NOT e.force)`;
const SCHEDULED = `(e."parentId" IS NULL AND e.trigger IN ('SCHEDULE', 'CATCH_UP'))`;

/** The claim, for a window of `window` candidates. The window is a literal, not a parameter:
 *  with LIMIT unknown PostgreSQL estimates a tenth of the table, finds the generic plan dearer
 *  than a fresh one and plans the statement afresh on every claim (1.4 ms of planning for a
 *  0.7 ms statement). A handful of window sizes (powers of two) keep it to a few statements. */
const claimStatement = (window: number) => statement<"now" | "worker" | "limit" | "leaseMs", ChangeRow>(
  `jobgraph_claim_${window}`,
  `WITH cand AS (
     -- everything the decision needs is read here, once: joining "Execution" again afterwards
     -- made the generic plan (the LIMIT unknown) hash the whole table, so PostgreSQL planned the
     -- statement afresh on every claim, which cost more than running it (no quotes in comments:
     -- statement() numbers parameters outside quoted text)
     SELECT e.id, e."taskId", e."runAfter", e.force, e."parentId", e.trigger,
            t.kind, t.name, t.enabled, t."overlapPolicy", t.paused,
            coalesce((SELECT s.paused FROM "SchedulerState" s WHERE s.id = 1), false) AS "schedulerPaused"
     FROM "Execution" e JOIN "Task" t ON t.id = e."taskId"
     WHERE e.status = 'PENDING' AND e."runAfter" <= :now::timestamptz
       -- runs that could only wait behind a running one are left out, so a long queue of one task
       -- cannot fill the window and starve the others
       AND (NOT ${EXCLUSIVE} OR NOT t.enabled OR (t."overlapPolicy" = 'SKIP' AND ${SKIPPABLE}) OR NOT ${RUNNING_OF_TASK})
     ORDER BY e."runAfter", e.id
     LIMIT ${window}
     FOR NO KEY UPDATE OF e SKIP LOCKED
   ),
   decided AS (
     SELECT e.id, e."runAfter", e.kind, e.name, ${EXCLUSIVE} AS exclusive,
       CASE
         WHEN NOT t.enabled THEN CASE WHEN e."parentId" IS NULL THEN 'SKIPPED' ELSE 'FAILED' END
         WHEN e.paused AND ${SCHEDULED} THEN 'PAUSED'
         WHEN e."schedulerPaused" AND ${SCHEDULED} THEN 'SCHEDULER_PAUSED'
         WHEN NOT ${EXCLUSIVE} THEN 'RUN'
         WHEN NOT ${RUNNING_OF_TASK}
              AND row_number() OVER (PARTITION BY e."taskId", ${EXCLUSIVE} ORDER BY e."runAfter", e.id) = 1 THEN 'RUN'
         WHEN t."overlapPolicy" = 'SKIP' AND ${SKIPPABLE} THEN 'SKIP'
         ELSE 'WAIT'
       END AS decision
     FROM cand e CROSS JOIN LATERAL (SELECT e.enabled, e."overlapPolicy") t
   ),
   slotted AS (
     SELECT d.*, row_number() OVER (PARTITION BY d.decision = 'RUN' AND d.kind <> 'WORKFLOW' ORDER BY d."runAfter", d.id) AS slot
     FROM decided d
   ),
   claimed AS (
     -- an exclusive run starts only after the task's previous one ended (the unique index sees to
     -- that); its start time says so too, though :now was read a moment before that end's own
     UPDATE "Execution" e SET status = 'RUNNING',
       "startedAt" = CASE WHEN s.exclusive
         THEN greatest(:now::timestamptz, (SELECT max(p."finishedAt") FROM "Execution" p WHERE p."taskId" = e."taskId" AND p."finishedAt" IS NOT NULL))
         ELSE :now::timestamptz END,
       "workerId" = :worker::text,
       "heartbeatAt" = :now::timestamptz,
       "leaseExpiresAt" = CASE WHEN s.kind = 'WORKFLOW' THEN NULL ELSE :now::timestamptz + :leaseMs::int * interval '1 millisecond' END,
       exclusive = s.exclusive, "updatedAt" = :now::timestamptz
     FROM slotted s
     WHERE e.id = s.id AND s.decision = 'RUN' AND (s.kind = 'WORKFLOW' OR s.slot <= :limit::int)
     RETURNING e.*
   ),
   fin AS (${finSelect("slotted", {
     id: "id",
     status: "CASE WHEN decision = 'FAILED' THEN 'FAILED' ELSE 'SKIPPED' END",
     error: `CASE WHEN decision = 'SKIP' THEN 'skipped: a previous run of "' || name || '" was still running (overlap policy SKIP)'
             WHEN decision = 'PAUSED' THEN 'skipped: "' || name || '" was paused before this fire began'
             WHEN decision = 'SCHEDULER_PAUSED' THEN 'skipped: the scheduler was paused before this fire began'
             ELSE 'task "' || name || '" is disabled' END`,
     expect: "ARRAY['PENDING']",
   })} WHERE decision IN ('SKIP', 'SKIPPED', 'FAILED', 'PAUSED', 'SCHEDULER_PAUSED')),
   ${finishCtes()}
   SELECT 'claimed' AS change, claimed.* FROM claimed UNION ALL ${FINISHED_ROWS}`,
);

/** the unique index that keeps exclusive runs of one task from overlapping */
const EXCLUSIVE_KEY = "Execution_exclusive_running_key";
const MAX_ATTEMPTS = 5;

const CLAIMS = new Map<number, ReturnType<typeof claimStatement>>();

/** candidates looked at for `limit` free slots: four times as many, rounded up to a power of two */
function claimFor(limit: number) {
  const window = 4 * 2 ** Math.ceil(Math.log2(Math.max(1, limit)));
  let s = CLAIMS.get(window);
  if (!s) CLAIMS.set(window, (s = claimStatement(window)));
  return s;
}

export async function claim(deps: { sql: Sql; now: () => Date; leaseMs: number }, worker: string, limit: number): Promise<Change[]> {
  const statement = claimFor(limit);
  for (let attempt = 1; ; attempt++) {
    try {
      const rows = await run(deps.sql, statement, { now: deps.now(), worker, limit, leaseMs: deps.leaseMs });
      return toChanges(rows);
    } catch (e) {
      const err = e as { code?: string; constraint?: string; message?: string };
      const lostRace = err.code === "23505" && (err.constraint === EXCLUSIVE_KEY || err.message?.includes(EXCLUSIVE_KEY));
      if (!lostRace || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}

/**
 * The claim undone: runs this worker claimed ahead of a free slot and never started go back to
 * PENDING for any instance to take (they waited too long, or the instance is stopping). A run
 * whose cancel was asked meanwhile stays RUNNING: its worker ends it CANCELLED.
 */
const RELEASE = statement<"ids" | "worker" | "now", Execution & { change: "released" }>(
  "jobgraph_release",
  `WITH mine AS (
     SELECT id FROM "Execution"
     WHERE id = ANY(:ids::int[]) AND "workerId" = :worker::text AND status = 'RUNNING' AND NOT "cancelRequested"
     ORDER BY id FOR NO KEY UPDATE
   )
   UPDATE "Execution" e SET status = 'PENDING', "startedAt" = NULL, "workerId" = NULL, "heartbeatAt" = NULL,
     "leaseExpiresAt" = NULL, exclusive = false, "updatedAt" = :now::timestamptz
   FROM mine WHERE e.id = mine.id
   RETURNING 'released' AS change, e.*`,
);

export async function release(deps: { sql: Sql; now: () => Date }, worker: string, ids: readonly number[]): Promise<Change[]> {
  if (!ids.length) return [];
  return toChanges(await run(deps.sql, RELEASE, { ids: intArray(ids), worker, now: deps.now() }));
}
