// The runner claims PENDING executions for this instance (up to its concurrency), runs each
// through its kind's executor, heart-beats their leases and records how they ended — every
// write through the state machine (executions/state), which publishes it.
// One wake path: the state machine's own changes (a run created here, an exclusive run ended
// here) and the bridge's "work" messages from other instances call wake(); a run of this runner
// frees its slot once, when its executor returns (its final write goes on concurrently, so the
// slot refills without waiting for that round trip). Up to two claims are on their way at once,
// for different free slots. A slow poll and a timer for the next delayed run are the safety net.
// Claiming ahead: while the backlog is deep and the runs are short, a claim also takes runs beyond
// the free slots (as many as the slots start within AHEAD_MS at the recent pace, at least
// `concurrency`, at most MAX_AHEAD). They wait here, RUNNING under this worker's
// lease, and a freed slot goes straight to the oldest of them: no round trip between one run and
// the next. One that waits longer than WAIT_MAX_MS goes back to PENDING (released) for anybody
// to take, as do all of them when the instance stops; its finish records when it really began.
import type { Clock } from "../clock.ts";
import type { AuditLog } from "../audit/service.ts";
import { SYSTEM_ACTOR } from "../audit/service.ts";
import type { EventBus } from "../events/bus.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { JobgraphEvents } from "../events/types.ts";
import type { Change, ExecutionState, FinalState } from "../executions/state/index.ts";
import type { Execution, PrismaClient } from "../generated/prisma/client.ts";
import type { TaskKind } from "../generated/prisma/enums.ts";
import type { Logger } from "../logging/logger.ts";
import type { TaskCache } from "../tasks/cache.ts";
import { ExecutionFailure, type Executor, type LogStream, type ProgressUpdate } from "../executors/types.ts";
import type { WorkflowDriver } from "./workflow-driver.ts";
import { checkJson, type JsonLimits } from "../validation/json-limits.ts";

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
  state: ExecutionState;
  tasks: TaskCache;
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
  /** what a run's result may be (size, depth): the bound every stored JSON has */
  jsonLimits: JsonLimits;
}

interface ActiveRun {
  row: Execution;
  controller: AbortController;
  done: Promise<void>;
}

const LOG_FLUSH_MS = 100;
const LOG_TAIL_LINES = 40;
const LOG_TAIL_CHARS = 4000;
/** setTimeout's limit (a longer delay fires at once); a run due later is aimed at again then */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** claims of one runner on their way at once (each for different free slots) */
const MAX_CLAIMS_IN_FLIGHT = 2;
/** a failed heart-beat (the database is unreachable) is tried again this soon */
const HEARTBEAT_RETRY_MS = 250;
/** runs are claimed ahead of free slots only while the recent ones took less than this (a
 *  moving average): then a run waits for a slot about as long, and the saved round trip matters */
const SHORT_RUN_MS = 50;
/** claiming ahead takes the runs the slots would start within this long at the recent pace */
const AHEAD_MS = 100;
/** the pace of runs shorter than this is taken as this (a timer's resolution) */
const MIN_RUN_MS = 0.1;
/** never more runs claimed ahead than this, however short they are */
const MAX_AHEAD = 500;
/** a run claimed ahead that got no slot in this time is handed back (the runs got long) */
const WAIT_MAX_MS = 500;

/** how a run claimed ahead stopped waiting: a slot came, it was handed back, or its signal fired */
type WaitEnd = "slot" | "released" | "aborted";

interface Waiting {
  since: number;
  /** the run's slot, marked held when a freed one is handed over */
  slot: { held: boolean };
  end(how: WaitEnd): void;
}

/** a claimed workflow parent: it holds no lease and no slot (its engine drives it) */
const isWorkflowParent = (row: Execution) => row.leaseExpiresAt === null;

export class Runner {
  /** runs holding a lease of this worker (executing, or writing their final state) */
  private readonly active = new Map<number, ActiveRun>();
  /** runs whose executor is still running: these take the slots */
  private executing = 0;
  /** claim statements in flight, and the slots they may fill between them */
  private claiming = 0;
  private reserved = 0;
  /** the claims themselves, for stop(): the runs they bring back must be run or cancelled too */
  private readonly claims = new Set<Promise<void>>();
  /** runs claimed ahead, waiting for a slot, oldest first (they are in `active` too) */
  private readonly waiting = new Map<number, Waiting>();
  private waitTimer?: NodeJS.Timeout;
  /** the last claim filled every slot it asked for, and the recent runs' moving average (ms) */
  private deep = false;
  private recentRunMs = Number.POSITIVE_INFINITY;
  /** there may be claimable work: new work was announced, or a claim filled every slot it asked
   *  for. A claim that came back short clears it, unless a wake came in or another claim of ours
   *  overlapped it meanwhile (see claimSlots). */
  private backlog = false;
  private wakes = 0;
  private claimsStarted = 0;
  private pumpQueued = false;
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
    this.scheduleHeartbeat(Math.max(200, Math.floor(this.deps.leaseMs / 3)));
    this.unsubscribe.push(this.deps.state.on((changes) => this.changed(changes)));
    this.wake();
    void this.rememberFromDatabase();
  }

  /** this instance's state changes: new work, or an exclusive run ended by someone else here */
  private changed(changes: readonly Change[]): void {
    let wake = false;
    const now = this.deps.clock.now().getTime();
    for (const { kind, row } of changes) {
      if (kind === "created" && row.status === "PENDING") {
        if (row.runAfter.getTime() <= now) wake = true;
        else this.remember(row.runAfter.getTime());
      } else if (kind === "finished" && row.exclusive) wake = true; // a queued run of its task may start now
    }
    if (wake) this.wake();
  }

  /** New work may exist (a run created, a message from another instance, the poll): claim. */
  wake(): void {
    if (!this.started || this.stopping) return;
    this.backlog = true;
    this.wakes++;
    this.pump(); // at once: a trigger's run starts without waiting for the event loop's turn
  }

  /** Work exists from `at` (another instance said so): claim now, or when it comes due. */
  wakeAt(at?: number): void {
    if (at === undefined || at <= this.deps.clock.now().getTime()) this.wake();
    else if (this.started && !this.stopping) this.remember(at);
  }

  /** one pass after the current turn of the event loop: slots freed together claim together */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /**
   * Fill the free slots. Up to MAX_CLAIMS_IN_FLIGHT claims run at once, each for the slots free
   * when it started (never more than are free in all: no run is claimed that could not start at
   * once), so slots freed while a claim is on its way refill without waiting for its round trip.
   */
  private pump(): void {
    while (this.backlog && !this.stopping && this.claiming < MAX_CLAIMS_IN_FLIGHT) {
      const ahead = this.aheadCount();
      const free = this.deps.concurrency + ahead - this.executing - this.waiting.size - this.reserved;
      if (free <= 0) return;
      // runs held ahead are topped up once half of them are gone, not one claim per freed slot: a
      // claim's cost is mostly its own (a claim of 10 rows costs a third of one of 500)
      if (ahead > 0 && this.waiting.size + this.reserved > ahead / 2) return;
      const claim = this.claimSlots(free);
      this.claims.add(claim);
      void claim.finally(() => this.claims.delete(claim));
    }
  }

  /** runs to claim beyond the slots: none unless the backlog is deep and the runs short; then as
   *  many as the slots would start within AHEAD_MS at the recent pace (at least `concurrency`,
   *  at most MAX_AHEAD), so a burst of tiny runs is taken in a few large claims, not many small */
  private aheadCount(): number {
    if (!this.deep || !(this.recentRunMs < SHORT_RUN_MS)) return 0;
    const { concurrency } = this.deps;
    const pace = Math.floor((concurrency * AHEAD_MS) / Math.max(this.recentRunMs, MIN_RUN_MS));
    return Math.max(concurrency, Math.min(MAX_AHEAD, pace));
  }

  private async claimSlots(n: number): Promise<void> {
    const wakesBefore = this.wakes;
    // a short claim means "nothing more to take" only if no other claim of ours held rows
    // meanwhile (SKIP LOCKED passes over the rows another claim has locked but not taken)
    const alone = this.claiming === 0;
    const startedBefore = ++this.claimsStarted;
    this.claiming++;
    this.reserved += n;
    let rows: Execution[] = [];
    let failed = false;
    try {
      rows = await this.deps.state.claim(this.deps.workerId, n);
    } catch (e) {
      failed = true;
      this.deps.logger.error({ err: e }, "claim pass failed");
    } finally {
      this.claiming--;
      this.reserved -= n;
    }
    this.deps.tasks.warm(rows.map((r) => r.taskId));
    for (const row of rows) this.launch(row);
    const filled = rows.filter((r) => !isWorkflowParent(r)).length;
    this.deep = filled >= n;
    if (filled >= n) this.backlog = true; // there may be more
    else if (this.wakes === wakesBefore && (failed || (alone && this.claimsStarted === startedBefore))) this.backlog = false; // the poll tries again
    this.schedulePump();
  }

  /** A run that may not start yet (a retry's delay, a fire written ahead) should start on time,
   *  not at the next poll: keep one timer aimed at the earliest such run this instance has heard
   *  of (made here, or announced by another instance). */
  private remember(at: number): void {
    const now = this.deps.clock.now().getTime();
    if (at <= now || (this.nextDueAt !== null && this.nextDueAt <= at && this.nextDueAt > now)) return;
    clearTimeout(this.nextDueTimer);
    this.nextDueAt = at;
    this.nextDueTimer = setTimeout(() => {
      this.nextDueAt = null;
      this.wake();
      void this.rememberFromDatabase();
    }, Math.min(at - now + 5, MAX_TIMER_MS));
  }

  /** at start and after each delayed run came due: aim at the next one the database knows */
  private async rememberFromDatabase(): Promise<void> {
    try {
      const next = await this.deps.prisma.execution.findFirst({
        where: { status: "PENDING", runAfter: { gt: this.deps.clock.now() } },
        orderBy: { runAfter: "asc" },
      });
      if (next && !this.stopping) this.remember(next.runAfter.getTime());
    } catch (e) {
      this.deps.logger.warn({ err: e }, "could not look up the next delayed run");
    }
  }

  /** a claimed run: it starts now if a slot is free, else waits for one (claimed ahead) */
  private launch(row: Execution): void {
    const controller = new AbortController();
    const run: ActiveRun = { row, controller, done: Promise.resolve() };
    const slot = { held: false };
    if (!isWorkflowParent(row)) {
      this.active.set(row.id, run);
      if (this.executing < this.deps.concurrency) {
        this.executing++;
        slot.held = true;
      }
    }
    const freeSlot = () => {
      if (!slot.held) return;
      slot.held = false;
      this.executing--;
      this.handOver();
    };
    const ready = isWorkflowParent(row) || slot.held ? null : this.waitForSlot(row.id, slot, controller.signal);
    run.done = this.execute(row, controller, ready, freeSlot)
      .catch((e) => this.deps.logger.error({ err: e, executionId: row.id }, "run failed unexpectedly"))
      .finally(() => {
        this.active.delete(row.id);
        freeSlot();
      });
  }

  /** a freed slot goes to the oldest run claimed ahead, if any, at once; else the pump refills it */
  private handOver(): void {
    const first = this.waiting.entries().next();
    if (!first.done) {
      const [id, waiter] = first.value;
      this.waiting.delete(id);
      this.executing++; // the slot is the waiter's from now on
      waiter.slot.held = true;
      waiter.end("slot");
    }
    this.schedulePump();
  }

  private waitForSlot(id: number, slot: { held: boolean }, signal: AbortSignal): Promise<WaitEnd> {
    return new Promise((resolve) => {
      const onAbort = () => this.waiting.get(id)?.end("aborted");
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(id, {
        since: Date.now(),
        slot,
        end: (how) => {
          this.waiting.delete(id);
          signal.removeEventListener("abort", onAbort);
          resolve(how);
        },
      });
      this.armWaitTimer();
    });
  }

  /** one timer, aimed at the moment the oldest waiting run has waited WAIT_MAX_MS */
  private armWaitTimer(): void {
    if (this.waitTimer || !this.waiting.size) return;
    const oldest = this.waiting.values().next().value!.since;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      const now = Date.now();
      void this.releaseWaiting([...this.waiting].filter(([, w]) => now - w.since >= WAIT_MAX_MS).map(([id]) => id)).finally(() => this.armWaitTimer());
    }, Math.max(0, oldest + WAIT_MAX_MS - Date.now()));
  }

  /** hands waiting runs back to PENDING in one statement; one it could not (its cancel was asked,
   *  or the database is unreachable) waits on, to be ended by its signal or released later */
  private async releaseWaiting(ids: number[]): Promise<void> {
    if (!ids.length) return;
    const waiters = ids.map((id) => [id, this.waiting.get(id)!] as const);
    for (const [id] of waiters) this.waiting.delete(id);
    let released = new Set<number>();
    try {
      released = new Set((await this.deps.state.release(this.deps.workerId, ids)).map((r) => r.id));
    } catch (e) {
      this.deps.logger.warn({ err: e, runs: ids.length }, "runs claimed ahead not handed back yet");
    }
    for (const [id, waiter] of waiters) {
      if (released.has(id)) waiter.end("released");
      else if (!this.active.get(id)?.controller.signal.aborted) this.waiting.set(id, { ...waiter, since: Date.now() });
      else waiter.end("aborted");
    }
    if (released.size) this.schedulePump();
  }

  /** a cancel asked for the run (here or on another instance) aborts it; returns the unsubscribe */
  private watchCancel(id: number, controller: AbortController): () => void {
    return this.deps.bus.on("execution", String(id), (r) => {
      if (r.cancelRequested) controller.abort(new AbortReason("cancel", "cancelled"));
    });
  }

  private async execute(row: Execution, controller: AbortController, ready: Promise<WaitEnd> | null, freeSlot: () => void): Promise<void> {
    const { deps } = this;
    let startedAt: Date | undefined;
    if (ready) {
      // claimed ahead: a cancel asked while it waits must reach it too
      const how = await ready.finally(this.watchCancel(row.id, controller));
      if (how === "released") return;
      if (how === "aborted") {
        const reason = controller.signal.reason;
        if (!(reason instanceof AbortReason && reason.kind === "lease")) await deps.state.finishRun(row.id, deps.workerId, abortedState(reason));
        return;
      }
      startedAt = deps.clock.now();
    }
    const task = await deps.tasks.get(row.taskId);
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
    const stopWatching = this.watchCancel(row.id, controller);
    let final: FinalState;
    const began = performance.now();
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
    const ms = performance.now() - began;
    this.recentRunMs = Number.isFinite(this.recentRunMs) ? this.recentRunMs * 0.8 + ms * 0.2 : ms;
    final = boundedResult(final, deps.jsonLimits);
    if (startedAt) final = { ...final, startedAt };
    freeSlot();
    await output.close();
    const reason = controller.signal.reason;
    if (reason instanceof AbortReason && reason.kind === "lease") return; // someone else decided its end
    // retried across a short database outage, for as long as the lease would hold
    const ended = await deps.state.finishRun(row.id, deps.workerId, { ...final, logTail: output.tail() });
    if (ended && reason instanceof AbortReason && reason.kind === "shutdown") {
      await deps.audit.record({ actor: SYSTEM_ACTOR, action: "execution.shutdownCancel", ok: true, taskId: task.id, executionId: row.id });
    }
  }

  private scheduleHeartbeat(ms: number): void {
    this.heartbeatTimer = setTimeout(() => {
      void this.heartbeat().then((ok) => {
        if (!this.started) return;
        this.scheduleHeartbeat(ok ? Math.max(200, Math.floor(this.deps.leaseMs / 3)) : HEARTBEAT_RETRY_MS);
      });
    }, ms);
  }

  /** false when the database could not be reached (tried again soon: the lease must not lapse) */
  private async heartbeat(): Promise<boolean> {
    const ids = [...this.active.keys()];
    if (!ids.length) return true;
    try {
      const held = await this.deps.state.heartbeat(ids, this.deps.workerId);
      for (const id of ids) {
        const run = this.active.get(id);
        if (!run) continue;
        if (!held.has(id)) run.controller.abort(new AbortReason("lease", "lease lost"));
        else if (held.get(id)) run.controller.abort(new AbortReason("cancel", "cancelled"));
      }
      return true;
    } catch (e) {
      this.deps.logger.warn({ err: e }, "heartbeat failed");
      return false;
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
    this.deps.logger.info({ runs: this.active.size, claims: this.claims.size, graceMs }, "runner stopping");
    // a claim on its way comes back with runs already RUNNING under this instance's name: they
    // are launched like the others, so the grace and the cancel below cover them (otherwise
    // they would run on after the stop, unwatched, until their lease ran out)
    await Promise.all(this.claims);
    // runs claimed ahead have not begun: back to PENDING, for another instance or the next start
    clearTimeout(this.waitTimer);
    await this.releaseWaiting([...this.waiting.keys()]);
    for (const id of this.waiting.keys()) this.active.get(id)?.controller.abort(new AbortReason("shutdown", SHUTDOWN_CANCEL_ERROR));
    const all = () => Promise.all([...this.active.values()].map((r) => r.done));
    if (this.active.size && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    for (const run of this.active.values()) run.controller.abort(new AbortReason("shutdown", SHUTDOWN_CANCEL_ERROR));
    await all();
    this.started = false;
    clearTimeout(this.heartbeatTimer);
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
 * chatty script cannot flood the database; log lines are flushed in small batches. The state
 * machine writes what all runs have pending in one statement.
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
        await this.deps.state
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
      const written = await this.deps.state.appendLogs(this.executionId, batch, this.deps.maxLogLines);
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

/** A result larger or deeper than stored JSON may be is not stored: a run that succeeded with it
 *  fails, saying why (the task's output is bad input like any other); other ends keep their
 *  status and say it too. */
export function boundedResult(final: FinalState, limits: JsonLimits): FinalState {
  if (final.result === undefined || final.result === null) return final;
  try {
    checkJson(final.result, "result", limits);
    return final;
  } catch (e) {
    const why = (e as Error).message;
    return { ...final, status: final.status === "SUCCEEDED" ? "FAILED" : final.status, result: null, error: final.error ? `${final.error}; ${why}` : why };
  }
}
