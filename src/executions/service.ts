// Executions: the life cycle of one run, and the only place its status changes.
//   PENDING → RUNNING → SUCCEEDED | FAILED | TIMED_OUT | CANCELLED;  PENDING → CANCELLED | SKIPPED
// Every change is a transaction on the row, fenced by the status (and worker) it expects, so a
// late writer (a swept worker, a run marked failed by hand) can never overwrite a final state.
// Events are published after the commit.
import { AuditLog, SYSTEM_ACTOR } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { conflict, notFound, validation } from "../errors.ts";
import type { EventPublisher } from "../events/publisher.ts";
import { Prisma, type Execution, type PrismaClient, type Task } from "../generated/prisma/client.ts";
import type { ExecutionStatus, TriggerKind } from "../generated/prisma/enums.ts";
import type { Logger } from "../logging/logger.ts";

type Tx = Prisma.TransactionClient;

export const FINAL_STATUSES: readonly ExecutionStatus[] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = ["PENDING", "RUNNING"];
export const isFinal = (s: ExecutionStatus) => FINAL_STATUSES.includes(s);

/** An update whose `where` fences on the expected state: null when the row was not in it. */
async function fenced<T>(update: Promise<T>): Promise<T | null> {
  try {
    return await update;
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2025") return null;
    throw e;
  }
}

/** advisory lock namespace ("jgov") of a task's overlap decision during a claim */
const OVERLAP_LOCK = 0x6a676f76;

/** Longest wait between two attempts, whatever the backoff says. */
const MAX_RETRY_DELAY_MS = 24 * 3600 * 1000;

export function retryDelayMs(task: Pick<Task, "retryDelaySeconds" | "retryBackoff">, attempt: number): number {
  return Math.min(task.retryDelaySeconds * 1000 * task.retryBackoff ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

export interface NewRun {
  taskId: number;
  trigger: TriggerKind;
  scheduledAt: Date;
  runAfter?: Date;
  params?: Record<string, unknown> | null;
  manual?: boolean;
  force?: boolean;
  triggeredBy?: string | null;
  parentId?: number | null;
  stepId?: string | null;
  attempt?: number;
  retryOfId?: number | null;
  /** rerunExecution / a reused workflow step: the run this one repeats */
  rerunOfId?: number | null;
}

export interface FinalState {
  status: Exclude<ExecutionStatus, "PENDING" | "RUNNING">;
  error?: string | null;
  result?: unknown;
  logTail?: string | null;
}

export interface ProgressFields {
  progress?: number;
  progressMessage?: string;
  processedItems?: number;
  totalItems?: number;
  currentItem?: string;
}

export interface ExecutionServiceDeps {
  prisma: PrismaClient;
  clock: Clock;
  events: EventPublisher;
  audit: AuditLog;
  logger: Logger;
  leaseMs: number;
  /** something became runnable in this process */
  wake: () => void;
  /** after a run reached a final state (workflows advance, metrics count) */
  onFinished: (row: Execution) => void;
  /** cancel was requested on a RUNNING execution (a workflow parent has no worker to abort it) */
  onCancelRequested: (row: Execution) => Promise<void>;
}

export class ExecutionService {
  constructor(private readonly deps: ExecutionServiceDeps) {}

  async get(id: number): Promise<Execution> {
    const row = await this.deps.prisma.execution.findUnique({ where: { id } });
    if (!row) throw notFound(`execution ${id}`);
    return row;
  }

  // ── creating runs ──────────────────────────────────────────────────────────────────────────

  /** triggerTask: a paused task runs once; a disabled one does not run at all. */
  async trigger(taskId: number, params: unknown, force: boolean, actor: string | null): Promise<Execution> {
    if (params !== null && params !== undefined && (typeof params !== "object" || Array.isArray(params))) {
      throw validation("params", "params must be a JSON object");
    }
    const now = this.deps.clock.now();
    const row = await this.deps.prisma.$transaction(async (tx) => {
      const task = await tx.task.findUnique({ where: { id: taskId } });
      if (!task) throw notFound(`task ${taskId}`);
      if (!task.enabled) throw conflict(`task "${task.name}" is disabled`);
      return this.insertRun(tx, {
        taskId,
        trigger: "MANUAL",
        scheduledAt: now,
        params: (params as Record<string, unknown>) ?? null,
        manual: true,
        force,
        triggeredBy: actor,
      });
    });
    this.created([row]);
    return row;
  }

  insertRun(tx: Tx, run: NewRun): Promise<Execution> {
    return tx.execution.create({
      data: {
        taskId: run.taskId,
        trigger: run.trigger,
        scheduledAt: run.scheduledAt,
        runAfter: run.runAfter ?? run.scheduledAt,
        params: (run.params ?? undefined) as Prisma.InputJsonValue | undefined,
        manual: run.manual ?? false,
        force: run.force ?? false,
        triggeredBy: run.triggeredBy ?? null,
        parentId: run.parentId ?? null,
        stepId: run.stepId ?? null,
        attempt: run.attempt ?? 1,
        retryOfId: run.retryOfId ?? null,
        rerunOfId: run.rerunOfId ?? null,
      },
    });
  }

  /** publish and wake after new PENDING rows were committed */
  created(rows: Execution[]): void {
    for (const row of rows) this.deps.events.executionChanged(row, true);
    if (rows.some((r) => r.status === "PENDING")) {
      this.deps.wake();
      this.deps.events.work();
    }
  }

  // ── claiming ───────────────────────────────────────────────────────────────────────────────

  /**
   * Claims up to `limit` runnable executions for `workerId` (FOR UPDATE SKIP LOCKED, so instances
   * never claim the same row), applying each task's overlap policy under a lock on the task row:
   * SKIP finishes a run that would overlap as SKIPPED, QUEUE leaves it PENDING, ALLOW runs it.
   * `force` bypasses the policy; catch-ups, retries and workflow steps wait (QUEUE) rather than
   * being skipped: they are the rest of a run already decided on, not a new fire.
   * Workflow parents are claimed too but hold no lease (the workflow engine drives them).
   */
  async claim(workerId: string, limit: number): Promise<Execution[]> {
    const now = this.deps.clock.now();
    const finished: Execution[] = [];
    const retries: Execution[] = [];
    const claimed = await this.deps.prisma.$transaction(async (tx) => {
      const candidates = await tx.$queryRaw<
        { id: number; taskId: number; force: boolean; parentId: number | null; trigger: string; overlapPolicy: string; enabled: boolean; kind: string; name: string }[]
      >`SELECT e.id, e."taskId", e.force, e."parentId", e.trigger::text AS trigger, t."overlapPolicy"::text AS "overlapPolicy", t.enabled, t.kind::text AS kind, t.name
        FROM "Execution" e JOIN "Task" t ON t.id = e."taskId"
        WHERE e.status = 'PENDING' AND e."runAfter" <= ${now}
          -- runs that would only wait behind a running one are left out, so a long queue of one
          -- task cannot fill the candidate window and starve the others (re-checked under lock)
          AND (t."overlapPolicy" = 'ALLOW' OR e.force
               OR (t."overlapPolicy" = 'SKIP' AND e."parentId" IS NULL AND e.trigger IN ('SCHEDULE', 'MANUAL'))
               OR NOT EXISTS (SELECT 1 FROM "Execution" r WHERE r."taskId" = e."taskId" AND r.status = 'RUNNING'))
        ORDER BY e."runAfter", e.id
        LIMIT ${limit * 4}
        FOR NO KEY UPDATE OF e SKIP LOCKED`;
      const out: Execution[] = [];
      let workers = 0;
      const busyTasks = new Set<number>();
      // NO KEY UPDATE locks: a concurrent insert referencing these rows (an audit event, a retry)
      // only needs KEY SHARE and must not deadlock with a claim. Tasks are locked in id order so
      // two claimers cannot deadlock on each other; the task lock is an advisory one (it only
      // serialises overlap decisions between claimers), so the fire statement, which updates
      // task rows, never waits behind a claim and a claim never waits behind it.
      const lockedTasks = new Set<number>();
      const ordered = [...candidates].sort((a, b) => a.taskId - b.taskId || 0);
      const decisions = new Map<number, "run" | "wait" | "skip" | "disabled">();
      for (const c of ordered) {
        if (!c.enabled) {
          decisions.set(c.id, "disabled");
          continue;
        }
        if (c.overlapPolicy === "ALLOW" || c.force) {
          decisions.set(c.id, "run");
          continue;
        }
        if (!lockedTasks.has(c.taskId)) {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${OVERLAP_LOCK}::int, ${c.taskId}::int)`;
          lockedTasks.add(c.taskId);
          const running = await tx.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM "Execution" WHERE "taskId" = ${c.taskId} AND status = 'RUNNING'`;
          if (running[0]!.n > 0) busyTasks.add(c.taskId);
        }
        if (busyTasks.has(c.taskId)) {
          // only a new fire or request is skipped; catch-ups, retries and workflow steps wait their turn
          const skippable = c.parentId === null && (c.trigger === "SCHEDULE" || c.trigger === "MANUAL");
          decisions.set(c.id, c.overlapPolicy === "SKIP" && skippable ? "skip" : "wait");
        } else {
          decisions.set(c.id, "run");
          busyTasks.add(c.taskId); // the next candidate of this task would overlap with this one
        }
      }
      for (const c of candidates) {
        const decision = decisions.get(c.id)!;
        if (decision === "wait") continue;
        if (decision === "disabled" || decision === "skip") {
          const message =
            decision === "skip"
              ? `skipped: a previous run of "${c.name}" was still running (overlap policy SKIP)`
              : `task "${c.name}" is disabled`;
          // a workflow step whose task is disabled fails the step (and so the workflow) clearly
          const status = decision === "disabled" && c.parentId !== null ? "FAILED" : "SKIPPED";
          const done = await this.finishInTx(tx, { id: c.id, status: ["PENDING"] }, { status, error: message }, now, retries);
          if (done) finished.push(done);
          continue;
        }
        const isWorkflow = c.kind === "WORKFLOW";
        if (!isWorkflow && workers >= limit) continue;
        if (!isWorkflow) workers++;
        out.push(
          await tx.execution.update({
            where: { id: c.id },
            data: {
              status: "RUNNING",
              startedAt: now,
              workerId,
              heartbeatAt: now,
              leaseExpiresAt: isWorkflow ? null : new Date(now.getTime() + this.deps.leaseMs),
            },
          }),
        );
      }
      return out;
    });
    for (const row of claimed) this.deps.events.executionChanged(row, true);
    this.afterFinish(finished, retries);
    return claimed;
  }

  // ── while running ──────────────────────────────────────────────────────────────────────────

  /** Renews the leases this worker holds; returns the ones it still holds, with their cancel flag.
   *  A run missing from the answer was swept or marked failed: the worker must stop it. */
  async heartbeat(ids: number[], workerId: string): Promise<Map<number, boolean>> {
    if (!ids.length) return new Map();
    const now = this.deps.clock.now();
    const expires = new Date(now.getTime() + this.deps.leaseMs);
    const rows = await this.deps.prisma.$queryRaw<{ id: number; cancelRequested: boolean }[]>`
      UPDATE "Execution" SET "heartbeatAt" = ${now}, "leaseExpiresAt" = ${expires}
      WHERE id = ANY(${ids}) AND "workerId" = ${workerId} AND status = 'RUNNING'
      RETURNING id, "cancelRequested"`;
    return new Map(rows.map((r) => [r.id, r.cancelRequested]));
  }

  async progress(id: number, workerId: string, fields: ProgressFields & { logTail?: string }): Promise<Execution | null> {
    const row = await fenced(this.deps.prisma.execution.update({ where: { id, workerId, status: "RUNNING" }, data: fields }));
    if (row) this.deps.events.executionChanged(row, false);
    return row;
  }

  // ── final states ───────────────────────────────────────────────────────────────────────────

  /** The worker's own end of a run it holds. Returns null when it no longer held it. */
  async finishRun(id: number, workerId: string | null, final: FinalState): Promise<Execution | null> {
    return this.finish({ id, status: ["RUNNING"], workerId }, final);
  }

  async cancel(id: number, actor: string | null): Promise<Execution> {
    const row = await this.get(id);
    if (isFinal(row.status)) throw conflict(`execution ${id} has already finished (${row.status})`);
    if (row.status === "PENDING") {
      const done = await this.finish({ id, status: ["PENDING"] }, { status: "CANCELLED", error: `cancelled by ${actor ?? "unknown"}` });
      if (done) return done;
    }
    // RUNNING: ask the worker (wherever it is) to abort; it records CANCELLED when the run stops
    const { count } = await this.deps.prisma.execution.updateMany({ where: { id, status: "RUNNING" }, data: { cancelRequested: true } });
    let updated = await this.get(id);
    if (count) {
      this.deps.events.executionChanged(updated, false);
      await this.deps.onCancelRequested(updated);
      updated = await this.get(id);
    }
    return updated;
  }

  /**
   * cancelExecutions: every PENDING or RUNNING run matching `where`, in one transaction, or none:
   * more than `max` matches is VALIDATION. PENDING ones end CANCELLED at once (one statement);
   * RUNNING ones are asked to stop (one statement), and end CANCELLED when their worker (or, for
   * a workflow parent, the workflow engine) has stopped them, as with cancel().
   */
  async cancelMatching(where: Prisma.ExecutionWhereInput, actor: string | null, max: number): Promise<number> {
    const now = this.deps.clock.now();
    const { cancelled, asked } = await this.deps.prisma.$transaction(async (tx) => {
      const active = { status: { in: [...ACTIVE_STATUSES] } };
      const found = await tx.execution.findMany({ where: { AND: [where, active] }, select: { id: true }, orderBy: { id: "asc" }, take: max + 1 });
      if (found.length > max) throw validation("filter", `the filter matches more than ${max} active executions; narrow it`);
      const ids = found.map((r) => r.id);
      const cancelled = await tx.execution.updateManyAndReturn({
        where: { id: { in: ids }, status: "PENDING" },
        data: { status: "CANCELLED", finishedAt: now, error: `cancelled by ${actor ?? "unknown"}`, leaseExpiresAt: null },
      });
      const asked = await tx.execution.updateManyAndReturn({ where: { id: { in: ids }, status: "RUNNING", cancelRequested: false }, data: { cancelRequested: true } });
      return { cancelled, asked };
    });
    this.afterFinish(cancelled, []);
    for (const row of asked) this.deps.events.executionChanged(row, false);
    for (const row of asked) await this.deps.onCancelRequested(row);
    return cancelled.length + asked.length;
  }

  /** An operator's verdict: no retry follows, and the worker (if any) is told to stop. */
  async markFailed(id: number, reason: string | null, actor: string | null): Promise<Execution> {
    const row = await this.get(id);
    if (isFinal(row.status)) throw conflict(`execution ${id} has already finished (${row.status})`);
    const error = `marked failed by ${actor ?? "unknown"}${reason ? `: ${reason}` : ""}`;
    const done = await this.finish({ id, status: [...ACTIVE_STATUSES] }, { status: "FAILED", error }, { cancelRequested: true });
    if (!done) throw conflict(`execution ${id} finished meanwhile`);
    return done;
  }

  async delete(id: number): Promise<void> {
    const row = await this.get(id);
    if (!isFinal(row.status)) throw conflict(`execution ${id} is ${row.status}; cancel it first`);
    await this.deps.prisma.execution.delete({ where: { id } });
  }

  /** Fails runs whose lease expired (their worker died or hung) and applies the retry policy. */
  async sweepExpired(limit = 100): Promise<Execution[]> {
    const now = this.deps.clock.now();
    const retries: Execution[] = [];
    const swept = await this.deps.prisma.$transaction(async (tx) => {
      const expired = await tx.$queryRaw<{ id: number; workerId: string | null; leaseExpiresAt: Date }[]>`
        SELECT id, "workerId", "leaseExpiresAt" FROM "Execution"
        WHERE status = 'RUNNING' AND "leaseExpiresAt" < ${now}
        ORDER BY "leaseExpiresAt" LIMIT ${limit}
        FOR NO KEY UPDATE SKIP LOCKED`;
      const out: Execution[] = [];
      for (const e of expired) {
        const error = `lease lost: worker ${e.workerId ?? "?"} stopped heart-beating (lease expired at ${new Date(e.leaseExpiresAt).toISOString()})`;
        const row = await this.finishInTx(tx, { id: e.id, status: ["RUNNING"] }, { status: "FAILED", error }, now, retries);
        if (!row) continue;
        await this.deps.audit.record({ actor: SYSTEM_ACTOR, action: "execution.sweep", ok: true, taskId: row.taskId, executionId: row.id, details: { error } }, tx);
        out.push(row);
      }
      return out;
    });
    this.afterFinish(swept, retries);
    return swept;
  }

  /** Final state for a run in one of `where.status`; null when it was not (fenced). */
  async finish(where: { id: number; status: ExecutionStatus[]; workerId?: string | null }, final: FinalState, extra: Prisma.ExecutionUpdateManyMutationInput = {}): Promise<Execution | null> {
    const now = this.deps.clock.now();
    const retries: Execution[] = [];
    const row = await this.deps.prisma.$transaction((tx) => this.finishInTx(tx, where, final, now, retries, extra));
    this.afterFinish(row ? [row] : [], retries);
    return row;
  }

  /** The one function that writes a final state: the row, then the retry the task's policy asks for. */
  async finishInTx(
    tx: Tx,
    where: { id: number; status: ExecutionStatus[]; workerId?: string | null },
    final: FinalState,
    now: Date,
    retries: Execution[],
    extra: Prisma.ExecutionUpdateManyMutationInput = {},
  ): Promise<Execution | null> {
    const current = await tx.execution.findUnique({ where: { id: where.id }, include: { task: true } });
    if (!current || !where.status.includes(current.status)) return null;
    if (where.workerId !== undefined && where.workerId !== null && current.workerId !== where.workerId) return null;
    const row = await fenced(tx.execution.update({
      where: { id: where.id, status: { in: where.status }, ...(where.workerId ? { workerId: where.workerId } : {}) },
      data: {
        ...extra,
        status: final.status,
        finishedAt: now,
        durationMs: current.startedAt ? Math.max(0, now.getTime() - current.startedAt.getTime()) : null,
        error: final.error ?? null,
        result: final.result === undefined ? undefined : (final.result as Prisma.InputJsonValue),
        logTail: final.logTail === undefined ? undefined : final.logTail,
        leaseExpiresAt: null,
      },
    }));
    if (!row) return null;
    const task = current.task;
    const retryable = (final.status === "FAILED" || final.status === "TIMED_OUT") && !row.cancelRequested;
    if (retryable && row.attempt <= task.maxRetries) {
      const runAfter = new Date(now.getTime() + retryDelayMs(task, row.attempt));
      const retry = await this.insertRun(tx, {
        taskId: row.taskId,
        trigger: "RETRY",
        scheduledAt: runAfter,
        runAfter,
        params: row.params as Record<string, unknown> | null,
        manual: row.manual,
        force: row.force,
        triggeredBy: row.triggeredBy,
        parentId: row.parentId,
        stepId: row.stepId,
        attempt: row.attempt + 1,
        retryOfId: row.id,
      });
      await this.deps.audit.record(
        { actor: SYSTEM_ACTOR, action: "execution.retry", ok: true, taskId: row.taskId, executionId: retry.id, details: { retryOf: row.id, attempt: retry.attempt, runAfter: runAfter.toISOString() } },
        tx,
      );
      retries.push(retry);
    }
    return row;
  }

  private afterFinish(finished: Execution[], retries: Execution[]): void {
    for (const row of finished) this.deps.events.executionChanged(row, true);
    if (retries.length) this.created(retries);
    for (const row of finished) {
      try {
        this.deps.onFinished(row);
      } catch (e) {
        this.deps.logger.error({ err: e, executionId: row.id }, "onFinished hook failed");
      }
    }
  }

  // ── logs ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Appends captured lines, numbering them per execution. At most `maxLines` are kept: the first
   * half and the newest half (the middle is deleted as the run goes on), so both the start-up
   * and the end of a long, chatty run stay readable.
   */
  async appendLogs(id: number, lines: { stream: string; text: string; at: Date }[], maxLines: number): Promise<{ seq: number; stream: string; text: string; at: Date }[]> {
    if (!lines.length) return [];
    return this.deps.prisma.$transaction(async (tx) => {
      const [{ logLines }] = await tx.$queryRaw<{ logLines: number }[]>`
        UPDATE "Execution" SET "logLines" = "logLines" + ${lines.length} WHERE id = ${id} RETURNING "logLines"`;
      const first = logLines - lines.length + 1;
      const numbered = lines.map((l, i) => ({ ...l, seq: first + i }));
      await tx.executionLog.createMany({ data: numbered.map((l) => ({ executionId: id, seq: l.seq, stream: l.stream, text: l.text, at: l.at })) });
      if (logLines > maxLines) {
        const head = Math.floor(maxLines / 2);
        const keepFrom = logLines - (maxLines - head) + 1;
        await tx.executionLog.deleteMany({ where: { executionId: id, seq: { gt: head, lt: keepFrom } } });
      }
      return numbered;
    });
  }
}
