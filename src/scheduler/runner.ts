// The runner claims PENDING executions for this instance (up to its concurrency), runs each
// through its kind's executor, heart-beats their leases and records how they ended.
// It is woken at once by a trigger in this process or a NOTIFY from another; a slow poll and a
// timer for the next delayed retry are the safety net.
import type { Clock } from "../clock.ts";
import type { AuditLog } from "../audit/service.ts";
import { SYSTEM_ACTOR } from "../audit/service.ts";
import type { EventBus } from "../events/bus.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { JobgraphEvents } from "../events/types.ts";
import { isFinal, type ExecutionService, type FinalState } from "../executions/service.ts";
import type { Execution, PrismaClient } from "../generated/prisma/client.ts";
import type { TaskKind } from "../generated/prisma/enums.ts";
import type { Logger } from "../logging/logger.ts";
import { ExecutionFailure, type Executor, type LogStream, type ProgressUpdate } from "../executors/types.ts";
import type { WorkflowDriver } from "./workflow-driver.ts";

/** The error of a run cancelled because its instance stopped (not by anybody's decision). */
export const SHUTDOWN_CANCEL_ERROR = "cancelled: instance shutting down";

/** Why a run's AbortSignal fired; decides its final status. */
export class AbortReason extends Error {
  constructor(readonly kind: "cancel" | "timeout" | "shutdown" | "lease", message: string) {
    super(message);
    this.name = "AbortReason";
  }
}

export interface RunnerDeps {
  prisma: PrismaClient;
  executions: ExecutionService;
  executors: Record<Exclude<TaskKind, "WORKFLOW">, Executor>;
  workflows: WorkflowDriver;
  bus: EventBus<JobgraphEvents>;
  events: EventPublisher;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxLogLines: number;
}

interface ActiveRun {
  row: Execution;
  controller: AbortController;
  done: Promise<void>;
}

const LOG_FLUSH_MS = 100;
const LOG_TAIL_LINES = 40;
const LOG_TAIL_CHARS = 4000;

export class Runner {
  private readonly active = new Map<number, ActiveRun>();
  private pumping = false;
  private again = false;
  private stopping = false;
  private started = false;
  private pollTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private nextDueTimer?: NodeJS.Timeout;
  private nextDueAt: number | null = null;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {}

  get activeCount(): number {
    return this.active.size;
  }

  start(): void {
    this.started = true;
    this.pollTimer = setInterval(() => this.wake(), this.deps.pollMs);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(200, Math.floor(this.deps.leaseMs / 3)));
    // anything that ends or becomes PENDING anywhere may free a slot or a queued run
    this.unsubscribe.push(
      this.deps.bus.on("executionStatus", "*", (row) => {
        if (row.status === "PENDING") this.remember(row);
        if (row.status === "PENDING" || isFinal(row.status)) this.wake();
      }),
    );
    this.wake();
    void this.rememberFromDatabase();
  }

  /** Ask for a claim pass soon (coalesced: many wakes, one pass at a time). */
  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.pumping) {
      this.again = true; // the pass under way goes round once more
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        const free = this.deps.concurrency - this.active.size;
        if (free <= 0 || this.stopping) break;
        const rows = await this.deps.executions.claim(this.deps.workerId, free);
        for (const row of rows) this.launch(row);
        if (rows.length >= free) this.again = true;
      } while (this.again && !this.stopping);
    } catch (e) {
      this.deps.logger.error({ err: e }, "claim pass failed");
    } finally {
      this.pumping = false;
    }
  }

  /** A run that may not start yet (a retry's delay) should start on time, not at the next poll:
   *  keep one timer aimed at the earliest such run this instance has heard of. */
  private remember(row: Execution): void {
    const at = row.runAfter.getTime();
    const now = this.deps.clock.now().getTime();
    if (at <= now || (this.nextDueAt !== null && this.nextDueAt <= at && this.nextDueAt > now)) return;
    clearTimeout(this.nextDueTimer);
    this.nextDueAt = at;
    this.nextDueTimer = setTimeout(() => {
      this.nextDueAt = null;
      this.wake();
      void this.rememberFromDatabase();
    }, at - now + 5);
  }

  /** at start and after each delayed run came due: aim at the next one the database knows */
  private async rememberFromDatabase(): Promise<void> {
    try {
      const next = await this.deps.prisma.execution.findFirst({
        where: { status: "PENDING", runAfter: { gt: this.deps.clock.now() } },
        orderBy: { runAfter: "asc" },
      });
      if (next && !this.stopping) this.remember(next);
    } catch (e) {
      this.deps.logger.warn({ err: e }, "could not look up the next delayed run");
    }
  }

  private launch(row: Execution): void {
    const controller = new AbortController();
    const run: ActiveRun = { row, controller, done: Promise.resolve() };
    this.active.set(row.id, run);
    run.done = this.execute(row, controller)
      .catch((e) => this.deps.logger.error({ err: e, executionId: row.id }, "run failed unexpectedly"))
      .finally(() => {
        this.active.delete(row.id);
        this.wake();
      });
  }

  private async execute(row: Execution, controller: AbortController): Promise<void> {
    const { deps } = this;
    const task = await deps.prisma.task.findUnique({ where: { id: row.taskId } });
    if (!task) return; // deleted meanwhile: its executions went with it
    if (task.kind === "WORKFLOW") {
      // a workflow parent holds no slot: its steps are runs of their own
      await deps.workflows.start(row, task);
      return;
    }
    const logger = deps.logger.child({ executionId: row.id, task: task.name });
    const config = task.config as Record<string, unknown>;
    const params = { ...((config.defaults as Record<string, unknown>) ?? {}), ...((row.params as Record<string, unknown>) ?? {}) };
    const output = new RunOutput(row.id, deps, logger);
    const timeout = task.timeoutSeconds
      ? setTimeout(() => controller.abort(new AbortReason("timeout", `timed out after ${task.timeoutSeconds} s`)), task.timeoutSeconds * 1000)
      : undefined;
    const stopWatching = deps.bus.on("execution", String(row.id), (r) => {
      if (r.cancelRequested) controller.abort(new AbortReason("cancel", "cancelled"));
    });
    let final: FinalState;
    try {
      const executor = deps.executors[task.kind];
      const outcome = await executor({
        executionId: row.id,
        taskName: task.name,
        scheduledAt: row.scheduledAt,
        config,
        params,
        signal: controller.signal,
        progress: (u) => output.progress(u),
        log: (stream, text) => output.log(stream, text),
        logger,
      });
      final = controller.signal.aborted ? abortedState(controller.signal.reason) : { status: "SUCCEEDED", result: outcome.result ?? null };
    } catch (e) {
      if (controller.signal.aborted) final = abortedState(controller.signal.reason);
      else final = { status: "FAILED", error: (e as Error)?.message ?? String(e), result: e instanceof ExecutionFailure ? e.result : undefined };
    } finally {
      clearTimeout(timeout);
      stopWatching();
    }
    await output.close();
    const reason = controller.signal.reason;
    if (reason instanceof AbortReason && reason.kind === "lease") return; // someone else decided its end
    const ended = await deps.executions.finishRun(row.id, deps.workerId, { ...final, logTail: output.tail() });
    if (ended && reason instanceof AbortReason && reason.kind === "shutdown") {
      await deps.audit.record({ actor: SYSTEM_ACTOR, action: "execution.shutdownCancel", ok: true, taskId: task.id, executionId: row.id });
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.active.values()].filter((r) => r.row.leaseExpiresAt !== null).map((r) => r.row.id);
    if (!ids.length) return;
    try {
      const held = await this.deps.executions.heartbeat(ids, this.deps.workerId);
      for (const id of ids) {
        const run = this.active.get(id);
        if (!run) continue;
        if (!held.has(id)) run.controller.abort(new AbortReason("lease", "lease lost"));
        else if (held.get(id)) run.controller.abort(new AbortReason("cancel", "cancelled"));
      }
    } catch (e) {
      this.deps.logger.warn({ err: e }, "heartbeat failed");
    }
  }

  /**
   * Graceful stop: claim nothing more, give running executions `graceMs` to finish, then cancel
   * the rest (recorded as CANCELLED, "instance shutting down") and wait for them to be written.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.nextDueTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    const all = () => Promise.all([...this.active.values()].map((r) => r.done));
    if (this.active.size && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    for (const run of this.active.values()) run.controller.abort(new AbortReason("shutdown", SHUTDOWN_CANCEL_ERROR));
    await all();
    clearInterval(this.heartbeatTimer);
    while (this.pumping) await new Promise((r) => setTimeout(r, 10));
  }
}

function abortedState(reason: unknown): FinalState {
  if (reason instanceof AbortReason) {
    switch (reason.kind) {
      case "timeout":
        return { status: "TIMED_OUT", error: reason.message };
      case "cancel":
      case "shutdown":
      case "lease":
        return { status: "CANCELLED", error: reason.message };
    }
  }
  return { status: "CANCELLED", error: "cancelled" };
}

/**
 * Progress and output of one run on their way to the database. Progress writes are serialised
 * per run and coalesced (while one write is in flight, only the newest update waits), so a
 * chatty script cannot flood the database; log lines are flushed in small batches.
 */
class RunOutput {
  private pendingProgress: ProgressUpdate | null = null;
  private progressWrite: Promise<void> = Promise.resolve();
  private writing = false;
  private lines: { stream: string; text: string; at: Date }[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly tailLines: string[] = [];

  constructor(
    private readonly executionId: number,
    private readonly deps: RunnerDeps,
    private readonly logger: Logger,
  ) {}

  progress(update: ProgressUpdate): void {
    this.pendingProgress = { ...this.pendingProgress, ...update };
    if (!this.writing) this.progressWrite = this.writeProgress();
  }

  private async writeProgress(): Promise<void> {
    this.writing = true;
    try {
      while (this.pendingProgress) {
        const u = this.pendingProgress;
        this.pendingProgress = null;
        await this.deps.executions
          .progress(this.executionId, this.deps.workerId, {
            progress: u.progress,
            progressMessage: u.message,
            processedItems: u.processed,
            totalItems: u.total,
            currentItem: u.currentItem,
          })
          .catch((e) => this.logger.warn({ err: e }, "progress write failed"));
      }
    } finally {
      this.writing = false;
    }
  }

  log(stream: LogStream, text: string): void {
    this.lines.push({ stream, text, at: this.deps.clock.now() });
    this.tailLines.push(stream === "stdout" ? text : `[${stream}] ${text}`);
    if (this.tailLines.length > LOG_TAIL_LINES) this.tailLines.shift();
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, LOG_FLUSH_MS);
  }

  tail(): string | null {
    if (!this.tailLines.length) return null;
    const text = this.tailLines.join("\n");
    return text.length > LOG_TAIL_CHARS ? text.slice(-LOG_TAIL_CHARS) : text;
  }

  private async flush(): Promise<void> {
    const batch = this.lines.splice(0);
    if (!batch.length) return;
    try {
      const written = await this.deps.executions.appendLogs(this.executionId, batch, this.deps.maxLogLines);
      for (const l of written) this.deps.events.logLine({ executionId: this.executionId, ...l });
    } catch (e) {
      this.logger.warn({ err: e }, "log write failed");
    }
  }

  /** everything written before the final state is */
  async close(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(() => this.flush());
    await Promise.all([this.flushing, this.progressWrite]);
  }
}
