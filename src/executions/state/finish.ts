// Final states: a worker's end of its runs, an operator's cancel or verdict, a workflow's end,
// the sweep of expired leases, the claim's skips. All of them are the same few CTEs over a set
// of input rows `fin`, in ONE statement: the fenced update of the rows (the expected status and
// worker; a late or duplicate finish changes nothing), the retries the task's policy asks for
// with their audit rows, and the alerts (alerts.ts). They commit together or not at all.
import type { Sql } from "../../db/database.ts";
import type { Execution } from "../../generated/prisma/client.ts";
import type { ExecutionStatus } from "../../generated/prisma/enums.ts";
import type { Logger } from "../../logging/logger.ts";
import { ALERTS_CTE } from "./alerts.ts";
import type { StatePublisher } from "./publish.ts";
import { isConnectionError, iso, run, statement } from "./sql.ts";
import type { Change, ChangeKind, FinalState, ProgressFields } from "./types.ts";

/** the input of a finish: one row per execution to end */
const FIN_COLUMNS = {
  id: "int",
  status: "text",
  error: "text",
  result: "jsonb",
  setResult: "bool",
  logTail: "text",
  setLogTail: "bool",
  /** when the run really began (null: as its claim recorded) */
  startedAt: "timestamptz",
  /** statuses the row must be in (the fence) */
  expect: "text[]",
  /** the worker that must hold it; null: any */
  worker: "text",
  /** also set cancelRequested (an operator's verdict: no retry, the worker stops) */
  cancel: "bool",
  /** the sweep of an expired lease (raises LEASE_LOST) */
  leaseLost: "bool",
  setProgress: "bool",
  progress: "float8",
  progressMessage: "text",
  processedItems: "int",
  totalItems: "int",
  currentItem: "text",
} as const;
type FinColumn = keyof typeof FIN_COLUMNS;

/** `fin` as a SELECT from `from`, with the given column expressions (the others NULL) */
export function finSelect(from: string, values: Partial<Record<FinColumn, string>>): string {
  const cols = Object.entries(FIN_COLUMNS).map(([c, type]) => `${values[c as FinColumn] ?? "NULL"}::${type} AS "${c}"`);
  return `SELECT ${cols.join(", ")} FROM ${from}`;
}

const FIN_FROM_JSON = `SELECT * FROM jsonb_to_recordset(:fin::jsonb) AS f(${Object.entries(FIN_COLUMNS)
  .map(([c, type]) => `"${c}" ${type}`)
  .join(", ")})`;

/** Whether a final state is followed by a retry: the one place of the retry rule (with the delay). */
const RETRY_WHERE = `x.status IN ('FAILED', 'TIMED_OUT') AND NOT x."cancelRequested" AND x.attempt <= t."maxRetries"`;
/** retryDelaySeconds × retryBackoff^(attempt-1), at most a day */
const RETRY_AT = `:now::timestamptz + least(t."retryDelaySeconds" * 1000.0 * power(t."retryBackoff", x.attempt - 1), 86400000) * interval '1 millisecond'`;

const keep = (col: string, flag: string) => `"${col}" = CASE WHEN f."${flag}" IS TRUE THEN f."${col}" ELSE e."${col}" END`;

/** The CTEs after `fin`: ended (the rows), retried (+ audit), alerts; `audit` logs each end. */
export function finishCtes(audit?: { action: string; details: string }): string {
  return `
ended AS (
  UPDATE "Execution" e SET
    status = f.status::"ExecutionStatus",
    "finishedAt" = :now::timestamptz,
    "startedAt" = coalesce(f."startedAt", e."startedAt"),
    "durationMs" = CASE WHEN coalesce(f."startedAt", e."startedAt") IS NULL THEN NULL
                   ELSE greatest(0, round(extract(epoch FROM (:now::timestamptz - coalesce(f."startedAt", e."startedAt"))) * 1000))::int END,
    error = f.error,
    ${keep("result", "setResult")},
    ${keep("logTail", "setLogTail")},
    ${keep("progress", "setProgress")}, ${keep("progressMessage", "setProgress")}, ${keep("processedItems", "setProgress")},
    ${keep("totalItems", "setProgress")}, ${keep("currentItem", "setProgress")},
    "leaseExpiresAt" = NULL,
    "cancelRequested" = e."cancelRequested" OR f.cancel IS TRUE,
    "updatedAt" = :now::timestamptz
  FROM fin f
  WHERE e.id = f.id AND e.status::text = ANY(f.expect) AND (f.worker IS NULL OR e."workerId" = f.worker)
  RETURNING e.*
),
retried AS (
  INSERT INTO "Execution" ("taskId", trigger, "scheduledAt", "runAfter", params, manual, force, "triggeredBy",
                           "parentId", "stepId", attempt, "retryOfId", "updatedAt")
  SELECT x."taskId", 'RETRY', x."scheduledAt", r.at, x.params, x.manual, x.force, x."triggeredBy",
         x."parentId", x."stepId", x.attempt + 1, x.id, :now::timestamptz
  FROM ended x JOIN "Task" t ON t.id = x."taskId" CROSS JOIN LATERAL (SELECT ${RETRY_AT} AS at) r
  WHERE ${RETRY_WHERE}
  RETURNING *
),
retry_audit AS (
  INSERT INTO "AuditEvent" (actor, action, ok, "taskId", "executionId", details)
  SELECT 'system', 'execution.retry', true, r."taskId", r.id,
         jsonb_build_object('retryOf', r."retryOfId", 'attempt', r.attempt, 'runAfter', ${iso('r."runAfter"')})
  FROM retried r
),
${ALERTS_CTE}${
    audit
      ? `,
end_audit AS (
  INSERT INTO "AuditEvent" (actor, action, ok, "taskId", "executionId", details)
  SELECT 'system', '${audit.action}', true, x."taskId", x.id, ${audit.details} FROM ended x
)`
      : ""
  }`;
}

export const FINISHED_ROWS = `SELECT 'finished' AS change, ended.* FROM ended UNION ALL SELECT 'created' AS change, retried.* FROM retried`;

/** a row of a statement that names each row's change in a `change` column */
export type ChangeRow = Execution & { change: ChangeKind };

export function toChanges(rows: ChangeRow[]): Change[] {
  return rows.map(({ change, ...row }) => ({ kind: change, row }));
}

const FINISH = statement<"fin" | "now", ChangeRow>("jobgraph_finish", `WITH fin AS (${FIN_FROM_JSON}), ${finishCtes()} ${FINISHED_ROWS}`);

const SWEEP = statement<"now" | "limit", ChangeRow>(
  "jobgraph_sweep",
  `WITH expired AS (
     SELECT id, "workerId", "leaseExpiresAt" FROM "Execution"
     WHERE status = 'RUNNING' AND "leaseExpiresAt" < :now::timestamptz
     ORDER BY "leaseExpiresAt" LIMIT :limit::int
     FOR NO KEY UPDATE SKIP LOCKED
   ),
   fin AS (${finSelect("expired", {
     id: "id",
     status: "'FAILED'",
     error: `'lease lost: worker ' || coalesce("workerId", '?') || ' stopped heart-beating (lease expired at ' || ${iso('"leaseExpiresAt"')} || ')'`,
     expect: "ARRAY['RUNNING']",
     leaseLost: "true",
   })}),
   ${finishCtes({ action: "execution.sweep", details: "jsonb_build_object('error', x.error)" })}
   ${FINISHED_ROWS}`,
);

export interface FinishInput {
  id: number;
  /** the statuses the row must be in */
  expect: readonly ExecutionStatus[];
  /** the worker that must hold it (undefined/null: any) */
  worker?: string | null;
  final: FinalState;
  /** an operator's verdict: the worker is told to stop and no retry follows */
  cancel?: boolean;
  /** the parent's final progress (a workflow) */
  progress?: ProgressFields;
}

interface Queued {
  input: FinishInput;
  /** until when a lost connection is retried */
  deadline: number;
  resolve(row: Execution | null): void;
  reject(e: unknown): void;
}

const RETRY_PAUSE_MS = 250;

export class Finisher {
  private queue: Queued[] = [];
  private flushing = false;

  constructor(
    private readonly deps: { sql: Sql; publisher: StatePublisher; logger: Logger; now: () => Date; leaseMs: number },
  ) {}

  /**
   * Ends one run. Finishes arriving in the same turn of the event loop, or while a statement is
   * under way, are written together by the next one (so a busy runner writes its ends in
   * batches, an idle one at once). A lost
   * connection is retried until `deadlineMs` from now (a worker's lease: after that the sweeper
   * decides); null when the row was not in the expected state (fenced).
   */
  finish(input: FinishInput, deadlineMs = this.deps.leaseMs): Promise<Execution | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, deadline: Date.now() + deadlineMs, resolve, reject });
      if (this.flushing) return;
      // written after this turn of the event loop: the runs that ended together (and, on PGlite,
      // whose database call would otherwise start before the next run even got here) go in one
      this.flushing = true;
      setImmediate(() => void this.flush());
    });
  }

  /** Fails runs whose lease expired (their worker died or hung) and applies the retry policy. */
  async sweep(limit = 100): Promise<Execution[]> {
    const rows = toChanges(await run(this.deps.sql, SWEEP, { now: this.deps.now(), limit }));
    this.deps.publisher.publishChanged(rows);
    return rows.filter((c) => c.kind === "finished").map((c) => c.row);
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0);
        await this.write(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: Queued[]): Promise<void> {
    let changes: Change[];
    try {
      changes = await this.statement(batch.map((q) => q.input));
    } catch (e) {
      if (isConnectionError(e)) {
        const now = Date.now();
        const alive = batch.filter((q) => (q.deadline > now ? true : (q.reject(e), false)));
        if (alive.length) {
          this.deps.logger.warn({ err: e, runs: alive.length }, "final state not written yet: database unreachable, retrying");
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
          this.queue.unshift(...alive);
        }
        return;
      }
      if (batch.length === 1) return batch[0]!.reject(e);
      // a row the database refuses must not take the others with it: one at a time
      for (const q of batch) await this.write([q]);
      return;
    }
    this.deps.publisher.publishChanged(changes);
    const ended = new Map(changes.filter((c) => c.kind === "finished").map((c) => [c.row.id, c.row]));
    for (const q of batch) q.resolve(ended.get(q.input.id) ?? null);
  }

  private async statement(inputs: FinishInput[]): Promise<Change[]> {
    // rows in id order, the order the heart-beat locks them in too: two statements updating the
    // same runs can then never wait for each other in a circle (a deadlock PostgreSQL must break)
    const fin = [...inputs].sort((a, b) => a.id - b.id).map(({ id, expect, worker, final, cancel, progress }) => ({
      id,
      status: final.status,
      error: final.error ?? null,
      result: final.result ?? null,
      setResult: final.result !== undefined,
      logTail: final.logTail ?? null,
      setLogTail: final.logTail !== undefined,
      startedAt: final.startedAt ?? null,
      expect,
      worker: worker ?? null,
      cancel: cancel ?? false,
      ...(progress ? { setProgress: true, ...progress } : {}),
    }));
    return toChanges(await run(this.deps.sql, FINISH, { fin: jsonParam(fin), now: this.deps.now() }));
  }
}

/** JSON for a jsonb parameter; PostgreSQL refuses NUL characters, which are dropped */
export function jsonParam(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes("\\u0000") ? JSON.stringify(value, (_, v) => (typeof v === "string" ? v.replaceAll("\u0000", "") : v)) : json;
}
