// Read side of executions: filters for history lists, statistics, log lines. Everything here is
// a query over indexed columns; nothing writes.
import { validation } from "../errors.ts";
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

/** `from`/`until` bound the nominal time (scheduledAt): when the run was meant to happen. */
export function executionWhere(filter: ExecutionFilter | null | undefined): Prisma.ExecutionWhereInput {
  const where: Prisma.ExecutionWhereInput = {};
  if (!filter) return where;
  if (filter.from && filter.until && filter.from > filter.until) throw validation("filter.from", "from must not be after until");
  if (filter.taskId) where.taskId = filter.taskId;
  if (filter.status?.length) where.status = { in: filter.status };
  if (filter.trigger?.length) where.trigger = { in: filter.trigger };
  if (typeof filter.manual === "boolean") where.manual = filter.manual;
  if (filter.parentId) where.parentId = filter.parentId;
  if (filter.from || filter.until) where.scheduledAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.until ? { lt: filter.until } : {}) };
  return where;
}

export class HistoryQueries {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /**
   * Counts per status over executions scheduled in [from, until); durations and success rate
   * over the finished ones (success rate = SUCCEEDED / (SUCCEEDED + FAILED + TIMED_OUT); null
   * when none finished that way). Last finish and status over the same range.
   */
  async stats(taskId: number | null, from: Date | null, until: Date | null): Promise<ExecutionStats> {
    if (from && until && from > until) throw validation("from", "from must not be after until");
    const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
    if (taskId) conditions.push(Prisma.sql`"taskId" = ${taskId}`);
    if (from) conditions.push(Prisma.sql`"scheduledAt" >= ${from}`);
    if (until) conditions.push(Prisma.sql`"scheduledAt" < ${until}`);
    const where = Prisma.join(conditions, " AND ");
    const [row] = await this.deps.prisma.$queryRaw<
      {
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
      }[]
    >`SELECT count(*)::int AS total,
        count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded,
        count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
        count(*) FILTER (WHERE status = 'TIMED_OUT')::int AS timed_out,
        count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
        count(*) FILTER (WHERE status = 'SKIPPED')::int AS skipped,
        count(*) FILTER (WHERE status = 'RUNNING')::int AS running,
        count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
        (avg("durationMs") FILTER (WHERE "finishedAt" IS NOT NULL AND "durationMs" IS NOT NULL))::float8 AS avg,
        (percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") FILTER (WHERE "finishedAt" IS NOT NULL AND "durationMs" IS NOT NULL))::float8 AS p50,
        (percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") FILTER (WHERE "finishedAt" IS NOT NULL AND "durationMs" IS NOT NULL))::float8 AS p95
      FROM "Execution" WHERE ${where}`;
    const [last] = await this.deps.prisma.$queryRaw<{ finishedAt: Date; status: ExecutionStatus }[]>`
      SELECT "finishedAt", status::text AS status FROM "Execution"
      WHERE ${where} AND "finishedAt" IS NOT NULL ORDER BY "finishedAt" DESC LIMIT 1`;
    const r = row!;
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
      lastFinishedAt: last ? new Date(last.finishedAt) : null,
      lastStatus: last?.status ?? null,
    };
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
