// The scheduling and execution engine of one instance: the fire path proposes fires, the runner claims
// and runs work, the sweeper resolves runs whose worker died, and this instance announces itself
// so `scheduler.instances` can count the live ones. start()/stop() own every loop and timer.
import os from "node:os";
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../events/publisher.ts";
import { resumeScheduler } from "../executions/state/fires.ts";
import type { ExecutionState } from "../executions/state/index.ts";
import type { PrismaClient, Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { plannedNextRun } from "../tasks/service.ts";
import type { Fires } from "./fires.ts";
import type { Runner } from "./runner.ts";
import type { FireFilter } from "./schedule.ts";
import type { WorkflowDriver } from "./workflow-driver.ts";

export interface EngineDeps {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  events: EventPublisher;
  state: ExecutionState;
  fires: Fires;
  runner: Runner;
  workflows: WorkflowDriver;
  instanceId: string;
  version: string;
  leaseMs: number;
  pollMs: number;
  shutdownGraceMs: number;
  /** the task's trading-calendar day filter (CalendarService.fireFilter) */
  fireFilter: (task: Pick<Task, "calendar" | "calendarDays" | "offsetDays" | "timezone">) => Promise<FireFilter | undefined>;
}

export interface SchedulerStatus {
  running: boolean;
  paused: boolean;
  instances: number;
  tasks: number;
  enabledTasks: number;
  pausedTasks: number;
  scheduledTasks: number;
  runningExecutions: number;
  pendingExecutions: number;
  startedAt: Date;
  version: string;
}

/** how often an instance says it is alive; three missed beats and it no longer counts */
const INSTANCE_BEAT_MS = 5000;
/** the in-memory due times are rebuilt from the database this often (a NOTIFY lost while the
 *  LISTEN connection was down); changes normally arrive at once as task-changed events */
const SCHEDULE_RESYNC_MS = 60_000;

export class Engine {
  private readonly loops: NodeJS.Timeout[] = [];
  /** loop bodies in flight, awaited on stop so nothing touches a closed database */
  private readonly inFlight = new Set<Promise<unknown>>();
  private running = false;
  /** task-changed events are followed from before the first load of the due times */
  private following = false;
  readonly startedAt: Date;

  constructor(private readonly deps: EngineDeps) {
    this.startedAt = deps.clock.now();
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { deps } = this;
    await this.beat();
    // the due times in memory; fires missed while no instance was up come due at once and are
    // written in the background (start-up, and /ready, do not wait for thousands of them)
    this.following = true;
    await deps.fires.resync();
    deps.runner.start();
    await deps.workflows.resumeAll().catch((e) => deps.logger.error({ err: e }, "workflow resume failed"));
    this.every(deps.pollMs, () => deps.workflows.resumeAll());
    this.every(Math.max(250, Math.floor(deps.leaseMs / 2)), () => deps.state.sweep());
    this.every(INSTANCE_BEAT_MS, () => this.beat());
    this.every(SCHEDULE_RESYNC_MS, () => this.syncAllTimers());
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.following = false;
    for (const t of this.loops.splice(0)) clearInterval(t);
    await this.deps.fires.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.deps.runner.stop(this.deps.shutdownGraceMs);
    await this.deps.workflows.stop();
    await this.deps.prisma.instance.delete({ where: { id: this.deps.instanceId } }).catch(() => {});
  }

  /** the next fire this instance holds in memory for a task (null: none, or not schedulable) */
  dueAt(taskId: number): Date | null {
    return this.deps.fires.dueAt(taskId);
  }

  /** work was written behind the engine's back (bulk imports, benchmarks): look now */
  wakeRunner(): void {
    this.deps.runner.wake();
  }

  /** A task was created, changed or deleted (here, or on another instance when `remote`). */
  async taskChanged(taskId: number, remote = false): Promise<void> {
    if (!remote) this.deps.events.taskChanged(taskId);
    if (!this.following) return;
    await this.deps.fires.taskChanged(taskId);
  }

  /** pauseScheduler / resumeScheduler: cluster-wide, kept in the database. Fires missed while the
   *  scheduler was paused were paused on purpose: on resume every task plans from now. */
  async setPaused(paused: boolean): Promise<void> {
    const { prisma, clock } = this.deps;
    const now = clock.now();
    if (paused) {
      await prisma.schedulerState.upsert({ where: { id: 1 }, create: { id: 1, paused }, update: { paused } });
    } else {
      const tasks = await prisma.task.findMany({
        where: { enabled: true, paused: false },
        select: {
          id: true, cron: true, intervalSeconds: true, runAt: true, timezone: true, enabled: true, paused: true, nextRunAt: true, updatedAt: true,
          calendar: true, calendarDays: true, offsetDays: true,
        },
      });
      const replans = [];
      for (const t of tasks) {
        const nextRunAt = plannedNextRun(t, now, t.calendar ? await this.deps.fireFilter(t) : undefined);
        if (nextRunAt?.getTime() !== t.nextRunAt?.getTime()) replans.push({ taskId: t.id, expectedUpdatedAt: t.updatedAt, nextRunAt });
      }
      await resumeScheduler(prisma, replans, now);
    }
    this.deps.events.schedulerChanged();
    await this.syncAllTimers();
  }

  async status(): Promise<SchedulerStatus> {
    const { prisma } = this.deps;
    const liveSince = new Date(this.deps.clock.now().getTime() - 3 * INSTANCE_BEAT_MS);
    const [state, instances, tasks, enabledTasks, pausedTasks, scheduledTasks, byStatus] = await Promise.all([
      prisma.schedulerState.findUnique({ where: { id: 1 } }),
      prisma.instance.count({ where: { heartbeatAt: { gte: liveSince } } }),
      prisma.task.count(),
      prisma.task.count({ where: { enabled: true } }),
      prisma.task.count({ where: { paused: true } }),
      prisma.task.count({ where: { enabled: true, paused: false, nextRunAt: { not: null } } }),
      prisma.execution.groupBy({ by: ["status"], where: { status: { in: ["RUNNING", "PENDING"] } }, _count: { _all: true } }),
    ]);
    const count = (s: string) => byStatus.find((b) => b.status === s)?._count._all ?? 0;
    return {
      running: this.running,
      paused: state?.paused ?? false,
      instances,
      tasks,
      enabledTasks,
      pausedTasks,
      scheduledTasks,
      runningExecutions: count("RUNNING"),
      pendingExecutions: count("PENDING"),
      startedAt: this.startedAt,
      version: this.deps.version,
    };
  }

  /** Reloads every due time (the scheduler was paused or resumed, here or elsewhere; safety net). */
  async syncAllTimers(): Promise<void> {
    if (this.following) await this.deps.fires.resync();
  }

  private async beat(): Promise<void> {
    const now = this.deps.clock.now();
    const { prisma, instanceId, version } = this.deps;
    await prisma.instance.upsert({
      where: { id: instanceId },
      create: { id: instanceId, host: os.hostname(), pid: process.pid, version, startedAt: this.startedAt, heartbeatAt: now },
      update: { heartbeatAt: now },
    });
    // forget instances silent for an hour (crashed ones never say goodbye)
    await prisma.instance.deleteMany({ where: { heartbeatAt: { lt: new Date(now.getTime() - 3600_000) } } });
  }

  /** a loop that never overlaps itself and never throws out of its timer */
  private every(ms: number, fn: () => Promise<unknown>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || !this.running) return;
      busy = true;
      const run = fn()
        .catch((e) => this.deps.logger.error({ err: e }, "engine loop failed"))
        .finally(() => {
          busy = false;
          this.inFlight.delete(run);
        });
      this.inFlight.add(run);
    }, ms);
    this.loops.push(timer);
  }
}
