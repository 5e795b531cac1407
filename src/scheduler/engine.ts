// The scheduling and execution engine of one instance: timers propose fires, the runner claims
// and runs work, the sweeper resolves runs whose worker died, and this instance announces itself
// so `scheduler.instances` can count the live ones. start()/stop() own every loop and timer.
import os from "node:os";
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../events/publisher.ts";
import type { ExecutionState } from "../executions/state/index.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { plannedNextRun } from "../tasks/service.ts";
import type { Fires } from "./fires.ts";
import type { Runner } from "./runner.ts";
import type { ScheduleTimers } from "./timers.ts";
import type { WorkflowDriver } from "./workflow-driver.ts";

export interface EngineDeps {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  events: EventPublisher;
  state: ExecutionState;
  fires: Fires;
  timers: ScheduleTimers;
  runner: Runner;
  workflows: WorkflowDriver;
  instanceId: string;
  version: string;
  leaseMs: number;
  pollMs: number;
  shutdownGraceMs: number;
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

export class Engine {
  private readonly loops: NodeJS.Timeout[] = [];
  /** loop bodies in flight, awaited on stop so nothing touches a closed database */
  private readonly inFlight = new Set<Promise<unknown>>();
  private running = false;
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
    // fires missed while no instance was up are handled before the timers take over
    await deps.fires.fireAllDue();
    await this.syncAllTimers();
    deps.runner.start();
    await deps.workflows.resumeAll().catch((e) => deps.logger.error({ err: e }, "workflow resume failed"));
    this.every(deps.pollMs, async () => {
      await deps.fires.fireAllDue();
      await deps.workflows.resumeAll();
    });
    this.every(Math.max(250, Math.floor(deps.leaseMs / 2)), () => deps.state.sweep());
    this.every(INSTANCE_BEAT_MS, () => this.beat());
    this.every(60_000, () => this.syncAllTimers());
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.loops.splice(0)) clearInterval(t);
    this.deps.timers.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.deps.runner.stop(this.deps.shutdownGraceMs);
    await this.deps.workflows.stop();
    await this.deps.prisma.instance.delete({ where: { id: this.deps.instanceId } }).catch(() => {});
  }

  /** work was written behind the engine's back (bulk imports, benchmarks): look now */
  wakeRunner(): void {
    this.deps.runner.wake();
  }

  /** A task was created, changed or deleted (here, or on another instance when `remote`). */
  async taskChanged(taskId: number, remote = false): Promise<void> {
    if (!remote) this.deps.events.taskChanged(taskId);
    if (!this.running) return;
    const task = await this.deps.prisma.task.findUnique({ where: { id: taskId } });
    this.deps.timers.sync(task, taskId);
  }

  /** pauseScheduler / resumeScheduler: cluster-wide, kept in the database. Fires missed while the
   *  scheduler was paused were paused on purpose: on resume every task plans from now. */
  async setPaused(paused: boolean): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.prisma.$transaction(async (tx) => {
      await tx.schedulerState.upsert({ where: { id: 1 }, create: { id: 1, paused }, update: { paused } });
      if (paused) return;
      const tasks = await tx.task.findMany({ where: { enabled: true, paused: false } });
      for (const t of tasks) {
        const next = plannedNextRun(t, now);
        if (next?.getTime() !== t.nextRunAt?.getTime()) await tx.task.update({ where: { id: t.id }, data: { nextRunAt: next } });
      }
    });
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

  async syncAllTimers(): Promise<void> {
    const tasks = await this.deps.prisma.task.findMany({
      where: { OR: [{ cron: { not: null } }, { intervalSeconds: { not: null } }, { runAt: { not: null } }] },
    });
    const state = await this.deps.prisma.schedulerState.findUnique({ where: { id: 1 } });
    for (const t of tasks) this.deps.timers.sync(state?.paused ? null : t, t.id);
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
