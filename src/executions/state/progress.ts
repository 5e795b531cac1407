// While a run is RUNNING: heart-beats, progress and log lines. Each is one statement for every
// run that has something to write at that moment (Batcher): progress of many runs in one
// UPDATE, log lines of many runs in one statement that numbers, inserts and trims them.
// Per run, writes stay in the order they were made (one batch in flight at a time, and the
// runner waits for them before it writes the final state), so subscribers see progress and lines
// in order and before the end.
import type { Sql } from "../../db/database.ts";
import type { Execution } from "../../generated/prisma/client.ts";
import { Batcher } from "./batch.ts";
import { jsonParam } from "./finish.ts";
import { run, statement } from "./sql.ts";
import type { ProgressFields } from "./types.ts";

const PROGRESS_KEYS = ["progress", "progressMessage", "processedItems", "totalItems", "currentItem"] as const;

const HEARTBEAT = statement<"now" | "expires" | "ids" | "worker", { id: number; cancelRequested: boolean }>(
  "jobgraph_heartbeat",
  // rows locked in id order (whatever index the plan takes), as finishes and progress writes
  // take them: statements over the same runs never wait for each other in a circle
  `WITH mine AS (
     SELECT id FROM "Execution"
     WHERE id = ANY(:ids::int[]) AND "workerId" = :worker::text AND status = 'RUNNING'
     ORDER BY id FOR NO KEY UPDATE
   )
   UPDATE "Execution" e SET "heartbeatAt" = :now::timestamptz, "leaseExpiresAt" = :expires::timestamptz
   FROM mine WHERE e.id = mine.id
   RETURNING e.id, e."cancelRequested"`,
);

const set = (col: string) => `"${col}" = CASE WHEN '${col}' = ANY(p.keys) THEN p."${col}" ELSE e."${col}" END`;

const PROGRESS = statement<"p" | "now", Execution>(
  "jobgraph_progress",
  `WITH p AS (SELECT * FROM jsonb_to_recordset(:p::jsonb) AS p(id int, worker text, keys text[], progress float8,
                "progressMessage" text, "processedItems" int, "totalItems" int, "currentItem" text))
   UPDATE "Execution" e SET ${PROGRESS_KEYS.map(set).join(", ")}, "updatedAt" = :now::timestamptz
   FROM p WHERE e.id = p.id AND e.status = 'RUNNING' AND e."workerId" = p.worker
   RETURNING e.*`,
);

export interface LogLine {
  stream: string;
  text: string;
  at: Date;
}
export type NumberedLine = LogLine & { seq: number };

/**
 * Numbers the lines per execution, inserts them and keeps at most :max per execution (the first
 * half and the newest half: the middle is deleted as the run goes on, and lines that would land
 * in the middle are not inserted at all).
 */
const APPEND_LOGS = statement<"lines" | "max", NumberedLine & { executionId: number }>(
  "jobgraph_append_logs",
  `WITH l AS (SELECT * FROM jsonb_to_recordset(:lines::jsonb) AS l(eid int, i int, stream text, text text, at timestamptz)),
   counts AS (SELECT eid, count(*)::int AS n FROM l GROUP BY eid),
   bumped AS (
     UPDATE "Execution" e SET "logLines" = e."logLines" + c.n FROM counts c WHERE e.id = c.eid
     RETURNING e.id, e."logLines" AS total, c.n
   ),
   numbered AS (SELECT l.eid, b.total - b.n + l.i AS seq, l.stream, l.text, l.at, b.total FROM l JOIN bumped b ON b.id = l.eid),
   ins AS (
     INSERT INTO "ExecutionLog" ("executionId", seq, stream, text, at)
     SELECT eid, seq, stream, text, at FROM numbered
     WHERE NOT (total > :max::int AND seq > :max::int / 2 AND seq < total - (:max::int - :max::int / 2) + 1)
   ),
   trimmed AS (
     DELETE FROM "ExecutionLog" x USING bumped b
     WHERE x."executionId" = b.id AND b.total > :max::int AND x.seq > :max::int / 2 AND x.seq < b.total - (:max::int - :max::int / 2) + 1
   )
   SELECT eid AS "executionId", seq, stream, text, at FROM numbered ORDER BY eid, seq`,
);

const REQUEST_CANCEL = statement<"id" | "now", Execution>(
  "jobgraph_request_cancel",
  `UPDATE "Execution" SET "cancelRequested" = true, "updatedAt" = :now::timestamptz WHERE id = :id::int AND status = 'RUNNING' RETURNING *`,
);

/** an int[] parameter as its text form (the same on both drivers) */
export const intArray = (ids: readonly number[]) => `{${ids.map((i) => Math.trunc(i)).join(",")}}`;

interface ProgressItem {
  id: number;
  worker: string;
  fields: ProgressFields;
}
interface LogItem {
  id: number;
  lines: LogLine[];
  maxLines: number;
}

export class RunWrites {
  private readonly progressBatch: Batcher<ProgressItem, Execution | null>;
  private readonly logBatch: Batcher<LogItem, NumberedLine[]>;

  constructor(private readonly deps: { sql: Sql; now: () => Date; leaseMs: number }) {
    this.progressBatch = new Batcher((items) => this.writeProgress(items));
    this.logBatch = new Batcher((items) => this.writeLogs(items));
  }

  /** Renews the leases this worker holds; returns the ones it still holds, with their cancel flag. */
  async heartbeat(ids: readonly number[], worker: string): Promise<Map<number, boolean>> {
    if (!ids.length) return new Map();
    const now = this.deps.now();
    const rows = await run(this.deps.sql, HEARTBEAT, { now, expires: new Date(now.getTime() + this.deps.leaseMs), ids: intArray(ids), worker });
    return new Map(rows.map((r) => [r.id, r.cancelRequested]));
  }

  /** the row as written, or null when the worker no longer holds the run */
  progress(id: number, worker: string, fields: ProgressFields): Promise<Execution | null> {
    return this.progressBatch.add({ id, worker, fields });
  }

  appendLogs(id: number, lines: LogLine[], maxLines: number): Promise<NumberedLine[]> {
    if (!lines.length) return Promise.resolve([]);
    return this.logBatch.add({ id, lines, maxLines });
  }

  async requestCancel(id: number): Promise<Execution | null> {
    const [row] = await run(this.deps.sql, REQUEST_CANCEL, { id, now: this.deps.now() });
    return row ?? null;
  }

  private async writeProgress(items: ProgressItem[]): Promise<(Execution | null)[]> {
    // in id order, like finishes and heart-beats (see HEARTBEAT): no lock cycles between them
    const p = [...items].sort((a, b) => a.id - b.id).map(({ id, worker, fields }) => ({ id, worker, keys: PROGRESS_KEYS.filter((k) => fields[k] !== undefined), ...fields }));
    const rows = await run(this.deps.sql, PROGRESS, { p: jsonParam(p), now: this.deps.now() });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return items.map((i) => byId.get(i.id) ?? null);
  }

  private async writeLogs(items: LogItem[]): Promise<NumberedLine[][]> {
    // one statement per distinct limit (in practice one: the instance's setting)
    const out = new Map<LogItem, NumberedLine[]>();
    for (const max of new Set(items.map((i) => i.maxLines))) {
      const group = items.filter((i) => i.maxLines === max);
      // a run's lines of several items in one batch are numbered in the order they came
      const counters = new Map<number, number>();
      const lines = group.flatMap((item) =>
        item.lines.map((l) => {
          const i = (counters.get(item.id) ?? 0) + 1;
          counters.set(item.id, i);
          return { eid: item.id, i, stream: l.stream, text: l.text, at: l.at };
        }),
      );
      const rows = await run(this.deps.sql, APPEND_LOGS, { lines: jsonParam(lines), max });
      const byExecution = new Map<number, NumberedLine[]>();
      for (const r of rows) {
        const list = byExecution.get(r.executionId) ?? [];
        list.push({ seq: r.seq, stream: r.stream, text: r.text, at: r.at });
        byExecution.set(r.executionId, list);
      }
      for (const item of group) out.set(item, byExecution.get(item.id)?.splice(0, item.lines.length) ?? []);
    }
    return items.map((i) => out.get(i)!);
  }
}
