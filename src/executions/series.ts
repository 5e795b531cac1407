// Statistics bucketed over time, for charts (the dashboard's duration chart, anyone's graph):
// one grouped query over the covering time/stats indexes, empty buckets filled in here so a
// chart's x axis is continuous. Counts per bucket follow ExecutionStats' rules (by scheduledAt).
import { validation } from "../errors.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

export interface StatsBucket {
  start: Date;
  total: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
  maxDurationMs: number | null;
}

export const MAX_BUCKETS = 1000;

type Row = { start: Date; total: number; succeeded: number; failed: number; timed_out: number; cancelled: number; avg: number | null; p95: number | null; max: number | null };

export async function statsSeries(
  prisma: PrismaClient,
  opts: { taskId: number | null; from: Date; until: Date; bucketSeconds: number },
): Promise<StatsBucket[]> {
  const { taskId, from, until, bucketSeconds } = opts;
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1) throw validation("bucketSeconds", "bucketSeconds must be a whole number ≥ 1");
  if (from >= until) throw validation("from", "from must be before until");
  const step = bucketSeconds * 1000;
  const count = Math.ceil((until.getTime() - from.getTime()) / step);
  if (count > MAX_BUCKETS) throw validation("bucketSeconds", `at most ${MAX_BUCKETS} buckets: widen bucketSeconds or narrow the range`);
  const task = taskId ? Prisma.sql`AND e."taskId" = ${taskId}` : Prisma.empty;
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT date_bin(${bucketSeconds} * interval '1 second', e."scheduledAt", ${from}::timestamptz) AS start,
           count(*)::int AS total,
           (count(*) FILTER (WHERE e.status = 'SUCCEEDED'))::int AS succeeded,
           (count(*) FILTER (WHERE e.status = 'FAILED'))::int AS failed,
           (count(*) FILTER (WHERE e.status = 'TIMED_OUT'))::int AS timed_out,
           (count(*) FILTER (WHERE e.status = 'CANCELLED'))::int AS cancelled,
           avg(e."durationMs")::float8 AS avg,
           (percentile_cont(0.95) WITHIN GROUP (ORDER BY e."durationMs"))::float8 AS p95,
           max(e."durationMs")::int AS max
    FROM "Execution" e
    WHERE e."scheduledAt" >= ${from} AND e."scheduledAt" < ${until} ${task}
    GROUP BY 1`;
  const byStart = new Map(rows.map((r) => [new Date(r.start).getTime(), r]));
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(from.getTime() + i * step);
    const r = byStart.get(start.getTime());
    return {
      start,
      total: r?.total ?? 0,
      succeeded: r?.succeeded ?? 0,
      failed: r?.failed ?? 0,
      timedOut: r?.timed_out ?? 0,
      cancelled: r?.cancelled ?? 0,
      avgDurationMs: r?.avg ?? null,
      p95DurationMs: r?.p95 ?? null,
      maxDurationMs: r?.max ?? null,
    };
  });
}
