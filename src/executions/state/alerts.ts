// Which alerts a state change raises: the one place this rule lives. The finish statement
// (finish.ts) writes one "Outbox" row per cause in the same statement as the final state, so an
// alert is enqueued exactly when the change commits; the deliverer (src/alerts/) sends them.
//
//   FAILED     a run ended FAILED and no retry follows (its final attempt, a cancel-requested or
//              marked-failed run, a failed workflow)
//   TIMED_OUT  a run ended TIMED_OUT and no retry follows
//   LEASE_LOST every sweep of an expired lease (besides FAILED when that was the final attempt)
//   RECOVERED  a run SUCCEEDED and its task's previous final run (SKIPPED and CANCELLED ignored)
//              ended FAILED or TIMED_OUT with no retry: the task is healthy again. Once per task
//              per statement.
// A failure that is retried raises nothing: its retry decides.

/** payload of an alert: what a message needs without reading the database again */
export const ALERT_PAYLOAD = (x: string, t: string) => `jsonb_build_object(
  'taskName', ${t}.name, 'status', ${x}.status, 'error', ${x}.error, 'attempt', ${x}.attempt,
  'scheduledAt', ${x}."scheduledAt", 'startedAt', ${x}."startedAt", 'finishedAt', ${x}."finishedAt")`;

/** the AlertEvent names an ended row `x` (with its input row `f`) raises; NULLs are none */
const ALERT_EVENTS = (x: string, f: string) => `ARRAY[
  CASE WHEN ${f}."leaseLost" IS TRUE THEN 'LEASE_LOST' END,
  CASE WHEN ${x}.status IN ('FAILED', 'TIMED_OUT') AND NOT EXISTS (SELECT 1 FROM retried r WHERE r."retryOfId" = ${x}.id)
       THEN ${x}.status::text END,
  CASE WHEN ${x}.status = 'SUCCEEDED'
        AND ${x}.id = (SELECT min(y.id) FROM ended y WHERE y."taskId" = ${x}."taskId" AND y.status = 'SUCCEEDED')
        AND (SELECT p.status IN ('FAILED', 'TIMED_OUT') AND NOT EXISTS (SELECT 1 FROM "Execution" q WHERE q."retryOfId" = p.id)
             FROM "Execution" p
             WHERE p."taskId" = ${x}."taskId" AND p.status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT') AND p."finishedAt" IS NOT NULL
             ORDER BY p."finishedAt" DESC, p.id DESC LIMIT 1) IS TRUE
       THEN 'RECOVERED' END]`;

/** The CTE that enqueues the alerts of the rows in `ended` (input rows in `fin`, retries in `retried`). */
export const ALERTS_CTE = `alerts AS (
  INSERT INTO "Outbox" (topic, event, "taskId", "executionId", payload)
  SELECT 'alert', a.event, x."taskId", x.id, ${ALERT_PAYLOAD("x", "t")}
  FROM ended x JOIN fin f ON f.id = x.id JOIN "Task" t ON t.id = x."taskId"
  CROSS JOIN LATERAL unnest(${ALERT_EVENTS("x", "f")}) AS a(event)
  WHERE a.event IS NOT NULL
)`;
