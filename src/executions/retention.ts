// Retention: a periodic job that prunes old history so the tables (and every query over them)
// stay bounded. Also folds the "ExecutionCount" rollup's delta rows (see history.ts).
//
// - By age: finished executions whose finishedAt is older than `retentionDays`.
// - By count: of each task, the finished executions beyond the newest `perTask` (newest = most
//   recently created, i.e. highest id).
// - Never an active execution (PENDING or RUNNING), nor anything of an active run's family: an
//   ancestor of an active execution (deleting it would cascade onto the active one) or a
//   descendant of one (a running workflow reads its finished steps to decide what comes next).
// - Log lines go with their execution (FK cascade), workflow steps with their parent.
// - In batches: one short statement deletes at most `batchSize` executions (fewer when they carry
//   many log lines), rows locked by anyone else are skipped (SKIP LOCKED), and the job sleeps
//   between batches. It never holds a lock the engine waits on for longer than one batch, and
//   several instances running it at once share the work instead of colliding.
import { SYSTEM_ACTOR, type AuditLog } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";

export interface RetentionOptions {
  /** finished executions older than this many days are pruned; 0 = no age limit */
  retentionDays: number;
  /** keep at most this many finished executions per task; 0 = no limit */
  perTask: number;
  /** log lines kept per execution (bounds the work one batch does) */
  maxLogLines: number;
  /** between runs (default 60 s); the first run comes after `initialDelayMs` (default 5 s, or
   *  the interval when shorter) */
  intervalMs?: number;
  initialDelayMs?: number;
  /** executions per delete statement (default 1000) */
  batchSize?: number;
  /** at most this many log lines deleted with one batch (default 100,000) */
  logLinesPerBatch?: number;
  /** pause between two batches (default 50 ms) */
  pauseMs?: number;
}

export interface RetentionDeps {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  audit?: AuditLog;
  /** after each batch: how many executions it pruned and why */
  onPruned?: (count: number, reason: "age" | "count") => void;
}

export interface RetentionReport {
  /** executions pruned because they were too old (workflow steps deleted with them not counted) */
  byAge: number;
  /** executions pruned because their task had too many */
  byCount: number;
  /** rollup delta rows folded */
  compacted: number;
}

/** advisory lock key of the rollup compaction ("jgco") */
const COMPACT_LOCK = 0x6a67636f;

const FINAL = Prisma.sql`('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED')`;

/**
 * The ids no batch may delete: active executions, their ancestors and their descendants
 * (a recursive walk from the few active rows, through the parentId index).
 */
const PROTECTED = Prisma.sql`
  active AS (SELECT id, "parentId" FROM "Execution" WHERE status IN ('PENDING', 'RUNNING')),
  up(id) AS (
    SELECT "parentId" FROM active WHERE "parentId" IS NOT NULL
    UNION
    SELECT p."parentId" FROM "Execution" p JOIN up ON p.id = up.id WHERE p."parentId" IS NOT NULL
  ),
  down(id) AS (
    SELECT id FROM active
    UNION
    SELECT c.id FROM "Execution" c JOIN down ON c."parentId" = down.id
  ),
  protected(id) AS (SELECT id FROM up UNION SELECT id FROM down)`;

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  /** set while stop() waits: the run in progress ends after its current batch */
  private stopping = false;
  private wakeSleep: (() => void) | null = null;
  private readonly o: Required<RetentionOptions>;

  constructor(private readonly deps: RetentionDeps, options: RetentionOptions) {
    this.o = {
      intervalMs: 60_000,
      initialDelayMs: Math.min(5_000, options.intervalMs ?? 60_000),
      batchSize: 1000,
      logLinesPerBatch: 100_000,
      pauseMs: 50,
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.o.initialDelayMs);
  }

  /** Stops the loop; a run in progress ends after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopping = true;
    this.wakeSleep?.();
    try {
      await this.running?.catch(() => {});
    } finally {
      this.stopping = false;
    }
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        await this.runOnce();
      } catch (e) {
        this.deps.logger.error({ err: e }, "retention run failed");
      }
      this.schedule(this.o.intervalMs);
    }, ms);
    this.timer.unref?.();
  }

  /** One full pass: fold the rollup, prune by age, then by count per task. A call while a pass
   *  is under way waits for it, then makes its own. */
  runOnce(): Promise<RetentionReport> {
    if (this.running) return this.running.catch(() => {}).then(() => this.runOnce());
    const run = this.pass();
    // a settled copy: a failed pass is the caller's error, not an unhandled rejection here
    this.running = run.then(
      () => {},
      () => {},
    ).finally(() => {
      this.running = null;
    });
    return run;
  }

  private async pass(): Promise<RetentionReport> {
    const report: RetentionReport = { byAge: 0, byCount: 0, compacted: await this.compactCounts() };
    const started = Date.now();
    if (this.o.retentionDays > 0) {
      const cutoff = new Date(this.deps.clock.now().getTime() - this.o.retentionDays * 24 * 3600_000);
      report.byAge = await this.pruneBatches("age", Prisma.sql`e."finishedAt" < ${cutoff}`, Prisma.sql`e."finishedAt", e.id`);
    }
    if (this.o.perTask > 0) {
      const over = await this.deps.prisma.$queryRaw<{ taskId: number }[]>`
        SELECT "taskId" FROM "ExecutionCount" WHERE status IN ${FINAL}
        GROUP BY "taskId" HAVING sum(n) > ${this.o.perTask} ORDER BY "taskId"`;
      for (const { taskId } of over) {
        if (this.stopping) break;
        const [edge] = await this.deps.prisma.$queryRaw<{ id: number }[]>`
          SELECT id FROM "Execution" WHERE "taskId" = ${taskId} AND status IN ${FINAL}
          ORDER BY id DESC OFFSET ${this.o.perTask} LIMIT 1`;
        if (!edge) continue;
        report.byCount += await this.pruneBatches("count", Prisma.sql`e."taskId" = ${taskId} AND e.id <= ${edge.id}`, Prisma.sql`e.id`);
      }
    }
    if (report.byAge || report.byCount) {
      this.deps.logger.info({ ...report, ms: Date.now() - started }, "retention pruned executions");
      await this.deps.audit?.record({
        actor: SYSTEM_ACTOR,
        action: "execution.prune",
        ok: true,
        details: { byAge: report.byAge, byCount: report.byCount, retentionDays: this.o.retentionDays, perTask: this.o.perTask },
      });
    }
    return report;
  }

  /** Deletes, batch by batch, the finished, unprotected executions matching `where`. */
  private async pruneBatches(reason: "age" | "count", where: Prisma.Sql, order: Prisma.Sql): Promise<number> {
    let total = 0;
    for (;;) {
      const [row] = await this.deps.prisma.$queryRaw<{ deleted: number }[]>`
        WITH RECURSIVE ${PROTECTED},
        candidates AS (
          SELECT e.id, e."finishedAt", least(e."logLines", ${this.o.maxLogLines}) AS logs FROM "Execution" e
          WHERE ${where} AND e.status IN ${FINAL} AND NOT EXISTS (SELECT 1 FROM protected p WHERE p.id = e.id)
          ORDER BY ${order} LIMIT ${this.o.batchSize}
          FOR UPDATE OF e SKIP LOCKED
        ),
        victims AS (
          SELECT id FROM (
            SELECT id, row_number() OVER w AS rn, sum(logs) OVER w AS upto FROM candidates
            WINDOW w AS (ORDER BY "finishedAt", id)
          ) x WHERE rn = 1 OR upto <= ${this.o.logLinesPerBatch}
        ),
        deleted AS (
          DELETE FROM "Execution" d USING victims v WHERE d.id = v.id AND d.status IN ${FINAL} RETURNING d.id
        )
        SELECT count(*)::int AS deleted FROM deleted`;
      const n = row!.deleted;
      if (n > 0) {
        total += n;
        try {
          this.deps.onPruned?.(n, reason);
        } catch {
          // a metrics hook never stops pruning
        }
      }
      if (n === 0 || this.stopping) return total;
      await this.pause();
    }
  }

  private pause(): Promise<void> {
    if (this.o.pauseMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, this.o.pauseMs);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = null;
        done();
      };
    });
  }

  /**
   * Folds the rollup's delta rows into one row per (task, status), dropping keys that sum to
   * zero. Atomic (one statement), so a count read at any moment is exact; rows appended by
   * transactions still in flight are simply folded next time.
   */
  async compactCounts(): Promise<number> {
    // one compaction at a time in the cluster (two would lock the same rows in any order)
    const [row] = await this.deps.prisma.$queryRaw<{ folded: number }[]>`
      WITH keys AS (
        SELECT "taskId", status FROM "ExecutionCount"
        WHERE (SELECT pg_try_advisory_xact_lock(${COMPACT_LOCK}))
        GROUP BY 1, 2 HAVING count(*) > 1 OR sum(n) = 0
      ),
      gone AS (
        DELETE FROM "ExecutionCount" c USING keys k WHERE c."taskId" = k."taskId" AND c.status = k.status
        RETURNING c."taskId", c.status, c.n
      ),
      folded AS (
        INSERT INTO "ExecutionCount" ("taskId", status, n)
        SELECT "taskId", status, sum(n)::int FROM gone GROUP BY 1, 2 HAVING sum(n) <> 0
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM gone)::int AS folded, (SELECT count(*) FROM folded)::int AS kept`;
    return row!.folded;
  }
}
