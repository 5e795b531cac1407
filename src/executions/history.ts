// Read side of executions: filters and pages for history lists, counts, statistics, log lines.
// Nothing here writes. Everything is shaped to stay fast at millions of executions:
// - pages are keyset pages on the primary key (id < cursor), never OFFSET, and a cursor whose
//   row was deleted meanwhile (retention, deleteExecution) still pages on;
// - counts that only filter by task and status come from the "ExecutionCount" rollup (kept exact
//   by triggers, see prisma/migrations/*_history_indexes_and_counts), others from one COUNT;
// - statistics are one aggregate answered from a covering index (Execution_task_time_stats_idx,
//   Execution_time_stats_idx) plus one index lookup for the last status, and Task.stats asked for
//   many tasks at once (a list of tasks with their stats) is batched into one grouped query.
import { validation } from "../errors.ts";
import { checkTags } from "../tasks/validation.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { ExecutionStatus, TriggerKind } from "../generated/prisma/enums.ts";

export interface ExecutionFilter {
  taskId?: number | null;
  status?: ExecutionStatus[] | null;
  trigger?: TriggerKind[] | null;
  manual?: boolean | null;
  from?: Date | null;
  until?: Date | null;
  parentId?: number | null;
  /** the execution's task carries every one of them */
  tags?: string[] | null;
}

export interface ExecutionStats {
  total: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  skipped: number;
  running: number;
  pending: number;
  successRate: number | null;
  avgDurationMs: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  lastFinishedAt: Date | null;
  lastStatus: ExecutionStatus | null;
}

export const EMPTY_STATS: Readonly<ExecutionStats> = Object.freeze({
  total: 0,
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  cancelled: 0,
  skipped: 0,
  running: 0,
  pending: 0,
  successRate: null,
  avgDurationMs: null,
  p50DurationMs: null,
  p95DurationMs: null,
  lastFinishedAt: null,
  lastStatus: null,
});

function checkRange(from: Date | null | undefined, until: Date | null | undefined, field: string) {
  if (from && until && from > until) throw validation(field, "from must not be after until");
}

/** `from`/`until` bound the nominal time (scheduledAt): when the run was meant to happen. */
export function executionWhere(filter: ExecutionFilter | null | undefined): Prisma.ExecutionWhereInput {
  const where: Prisma.ExecutionWhereInput = {};
  if (!filter) return where;
  checkRange(filter.from, filter.until, "filter.from");
  if (filter.taskId) where.taskId = filter.taskId;
  if (filter.status?.length) where.status = { in: filter.status };
  if (filter.trigger?.length) where.trigger = { in: filter.trigger };
  if (typeof filter.manual === "boolean") where.manual = filter.manual;
  if (filter.parentId) where.parentId = filter.parentId;
  if (filter.tags?.length) where.task = { tags: { hasEvery: checkTags(filter.tags, "filter.tags") } };
  if (filter.from || filter.until) where.scheduledAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.until ? { lt: filter.until } : {}) };
  return where;
}

/** The same filter as SQL conditions on "Execution" (aliased `e`), for raw counts. */
function executionSql(filter: ExecutionFilter | null | undefined): Prisma.Sql {
  const c: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter) {
    checkRange(filter.from, filter.until, "filter.from");
    if (filter.taskId) c.push(Prisma.sql`e."taskId" = ${filter.taskId}`);
    if (filter.status?.length) c.push(Prisma.sql`e.status = ANY(${filter.status}::text[]::"ExecutionStatus"[])`);
    if (filter.trigger?.length) c.push(Prisma.sql`e.trigger = ANY(${filter.trigger}::text[]::"TriggerKind"[])`);
    if (typeof filter.manual === "boolean") c.push(Prisma.sql`e.manual = ${filter.manual}`);
    if (filter.parentId) c.push(Prisma.sql`e."parentId" = ${filter.parentId}`);
    if (filter.from) c.push(Prisma.sql`e."scheduledAt" >= ${filter.from}`);
    if (filter.until) c.push(Prisma.sql`e."scheduledAt" < ${filter.until}`);
    if (filter.tags?.length) {
      c.push(Prisma.sql`e."taskId" IN (SELECT t.id FROM "Task" t WHERE t.tags @> ${checkTags(filter.tags, "filter.tags")}::text[])`);
    }
  }
  return Prisma.join(c, " AND ");
}

/** What Pothos' prismaConnection hands a resolver: a selection plus an id cursor page. */
export interface ConnectionQuery {
  cursor?: { id?: number } | undefined;
  skip?: number;
  take?: number;
}

/**
 * findMany arguments for one page, newest first (id descending), as a keyset on the id: rows
 * after the cursor are `id < cursor` (before it: `id > cursor`, with Prisma's negative take).
 * Unlike Prisma's own cursor (which looks the cursor row up and finds nothing once it is gone),
 * this keeps paging when the cursor's execution was pruned or deleted; and new executions (higher
 * ids) never shift a page, so no row is repeated or skipped while history grows.
 */
export function keysetPage<Q extends ConnectionQuery>(
  query: Q,
  where: Prisma.ExecutionWhereInput,
): Omit<Q, "cursor" | "skip"> & { where: Prisma.ExecutionWhereInput; orderBy: { id: "desc" } } {
  const { cursor, skip: _skip, ...rest } = query;
  const orderBy = { id: "desc" as const };
  const id = cursor?.id;
  if (id === undefined) return { ...rest, where, orderBy };
  const backward = (query.take ?? 0) < 0;
  return { ...rest, where: { AND: [where, { id: backward ? { gt: id } : { lt: id } }] }, orderBy };
}

type StatsRow = {
  taskId: number | null;
  total: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  cancelled: number;
  skipped: number;
  running: number;
  pending: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
  last_at: Date | null;
  last_status: ExecutionStatus | null;
};

interface StatsBatch {
  from: Date | null;
  until: Date | null;
  waiters: Map<number, { resolve: (s: ExecutionStats) => void; reject: (e: unknown) => void }[]>;
}

/** statistics over all tasks for longer than this sort in more memory (see statsQuery) */
const WIDE_RANGE_MS = 2 * 24 * 3600_000;

/** at most this many tasks in one grouped statistics query */
const STATS_BATCH = 200;

export class HistoryQueries {
  private readonly batches = new Map<string, StatsBatch>();

  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /**
   * totalCount of an executions filter. Filters by task and/or status only (the common ones,
   * unfiltered included) are answered from the rollup in about a millisecond; anything else is
   * one COUNT over the indexed columns.
   */
  async count(filter: ExecutionFilter | null | undefined): Promise<number> {
    const f = filter ?? {};
    checkRange(f.from, f.until, "filter.from");
    const rollup = !f.trigger?.length && typeof f.manual !== "boolean" && !f.parentId && !f.from && !f.until && !f.tags?.length;
    if (rollup) {
      const c: Prisma.Sql[] = [Prisma.sql`TRUE`];
      if (f.taskId) c.push(Prisma.sql`"taskId" = ${f.taskId}`);
      if (f.status?.length) c.push(Prisma.sql`status = ANY(${f.status}::text[]::"ExecutionStatus"[])`);
      const [row] = await this.deps.prisma.$queryRaw<{ n: number }[]>`
        SELECT coalesce(sum(n), 0)::int AS n FROM "ExecutionCount" WHERE ${Prisma.join(c, " AND ")}`;
      return row!.n;
    }
    const [row] = await this.deps.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Execution" e WHERE ${executionSql(f)}`;
    return row!.n;
  }

  /**
   * Statistics over the executions scheduled in [from, until) (all of them when unbounded), of
   * one task or of all tasks:
   * - total and a count per status (running/pending: those of the range still active);
   * - successRate = succeeded / (succeeded + failed + timedOut): of the runs that ended on their
   *   own, the share that succeeded; cancelled and skipped runs are decisions, not outcomes, and
   *   do not count. null when there is none;
   * - avg/p50/p95 of durationMs over finished runs that started (skipped runs and runs cancelled
   *   before they started have no duration); p50/p95 interpolate like percentile_cont;
   * - lastFinishedAt/lastStatus: the run of the range that finished last (highest id on a tie).
   * Calls for several tasks with the same range in the same tick (Task.stats of a list of
   * tasks) are answered by one grouped query.
   */
  async stats(taskId: number | null, from: Date | null, until: Date | null): Promise<ExecutionStats> {
    checkRange(from, until, "from");
    if (!taskId) {
      const [row] = await this.statsQuery(null, from, until);
      return row ? toStats(row) : { ...EMPTY_STATS };
    }
    const key = `${from?.getTime() ?? ""}|${until?.getTime() ?? ""}`;
    let batch = this.batches.get(key);
    if (!batch) {
      const created: StatsBatch = { from, until, waiters: new Map() };
      batch = created;
      this.batches.set(key, created);
      setImmediate(() => {
        if (this.batches.get(key) === created) this.batches.delete(key);
        void this.runBatch(created);
      });
    }
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => {
      const list = waiters.get(taskId) ?? [];
      list.push({ resolve, reject });
      waiters.set(taskId, list);
    });
  }

  private async runBatch(batch: StatsBatch): Promise<void> {
    const ids = [...batch.waiters.keys()];
    for (let i = 0; i < ids.length; i += STATS_BATCH) {
      const chunk = ids.slice(i, i + STATS_BATCH);
      try {
        const rows = await this.statsQuery(chunk, batch.from, batch.until);
        const byTask = new Map(rows.map((r) => [r.taskId!, r]));
        for (const id of chunk) {
          const row = byTask.get(id);
          for (const w of batch.waiters.get(id)!) w.resolve(row ? toStats(row) : { ...EMPTY_STATS });
        }
      } catch (e) {
        for (const id of chunk) for (const w of batch.waiters.get(id)!) w.reject(e);
      }
    }
  }

  /**
   * One pass over the range (an index-only scan of a covering index), grouped by task when
   * `taskIds` is given; then, per group, the status of the run that finished last, looked up by
   * its exact finishedAt (an index probe), not by sorting the range.
   */
  private statsQuery(taskIds: number[] | null, from: Date | null, until: Date | null): Promise<StatsRow[]> {
    const range = (alias: string) => {
      const col = Prisma.raw(`${alias}."scheduledAt"`);
      const c: Prisma.Sql[] = [Prisma.sql`TRUE`];
      if (from) c.push(Prisma.sql`${col} >= ${from}`);
      if (until) c.push(Prisma.sql`${col} < ${until}`);
      return Prisma.join(c, " AND ");
    };
    const tasks = taskIds ? Prisma.sql`e."taskId" = ANY(${taskIds}::int[])` : Prisma.sql`TRUE`;
    const group = taskIds ? Prisma.sql`e."taskId"` : Prisma.sql`NULL::int`;
    const sameTask = taskIds ? Prisma.sql`l."taskId" = s."taskId"` : Prisma.sql`TRUE`;
    const groupBy = taskIds ? Prisma.sql`GROUP BY e."taskId"` : Prisma.empty;
    const query = this.deps.prisma.$queryRaw<StatsRow[]>`
      WITH s AS (
        SELECT ${group} AS "taskId",
          count(*)::int AS total,
          count(*) FILTER (WHERE e.status = 'SUCCEEDED')::int AS succeeded,
          count(*) FILTER (WHERE e.status = 'FAILED')::int AS failed,
          count(*) FILTER (WHERE e.status = 'TIMED_OUT')::int AS timed_out,
          count(*) FILTER (WHERE e.status = 'CANCELLED')::int AS cancelled,
          count(*) FILTER (WHERE e.status = 'SKIPPED')::int AS skipped,
          count(*) FILTER (WHERE e.status = 'RUNNING')::int AS running,
          count(*) FILTER (WHERE e.status = 'PENDING')::int AS pending,
          (avg(e."durationMs") FILTER (WHERE e."finishedAt" IS NOT NULL))::float8 AS avg,
          (percentile_cont(0.5) WITHIN GROUP (ORDER BY e."durationMs") FILTER (WHERE e."finishedAt" IS NOT NULL))::float8 AS p50,
          (percentile_cont(0.95) WITHIN GROUP (ORDER BY e."durationMs") FILTER (WHERE e."finishedAt" IS NOT NULL))::float8 AS p95,
          max(e."finishedAt") AS last_at
        FROM "Execution" e
        WHERE ${tasks} AND ${range("e")}
        ${groupBy}
      )
      SELECT s.*,
        (SELECT l.status::text FROM "Execution" l
         WHERE l."finishedAt" = s.last_at AND ${sameTask} AND ${range("l")}
         ORDER BY l.id DESC LIMIT 1) AS last_status
      FROM s WHERE s.total > 0`;
    // Exact percentiles sort the range's durations: over all tasks and more than a couple of days
    // that is hundreds of thousands of values, which the default work_mem (4 MB) sorts on disk.
    const wide = !taskIds && (!from || (until?.getTime() ?? Date.now()) - from.getTime() > WIDE_RANGE_MS);
    if (!wide) return query;
    return this.deps.prisma.$transaction([this.deps.prisma.$executeRaw`SELECT set_config('work_mem', '64MB', true)`, query]).then(([, rows]) => rows);
  }

  async logLines(executionId: number, afterSeq: number | null, limit: number) {
    if (limit < 1 || limit > 10_000) throw validation("limit", "limit must be from 1 to 10000");
    return this.deps.prisma.executionLog.findMany({
      where: { executionId, ...(afterSeq !== null ? { seq: { gt: afterSeq } } : {}) },
      orderBy: { seq: "asc" },
      take: limit,
    });
  }
}

function toStats(r: StatsRow): ExecutionStats {
  const decided = r.succeeded + r.failed + r.timed_out;
  return {
    total: r.total,
    succeeded: r.succeeded,
    failed: r.failed,
    timedOut: r.timed_out,
    cancelled: r.cancelled,
    skipped: r.skipped,
    running: r.running,
    pending: r.pending,
    successRate: decided ? r.succeeded / decided : null,
    avgDurationMs: r.avg,
    p50DurationMs: r.p50,
    p95DurationMs: r.p95,
    lastFinishedAt: r.last_at ? new Date(r.last_at) : null,
    lastStatus: r.last_status ?? null,
  };
}
