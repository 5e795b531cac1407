// The schedule fire path of one instance. Due times live in memory (DueIndex: every schedulable
// task's nextRunAt, one timer for the earliest), so a moment with nothing due costs nothing.
// When tasks come due, each batch of them is planned here in memory (planFire: which nominal
// times are due, on time or missed, what the misfire policy makes of the missed ones, the next
// fire) and written by ONE fenced statement (recordFires: fires inserted, nextRunAt advanced,
// misfire audit) whose created rows are published after it returns. Instances that propose the
// same fire produce one execution; a task whose row moved on is re-read, not fired.
// The index follows task changes (this instance's and, through the bridge, the others'), and is
// rebuilt from the database at start-up and periodically as a safety net.
import { SYSTEM_ACTOR } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import type { Sql } from "../db/database.ts";
import { recordFires, type FireAlert, type PlannedFire, type TaskAdvance } from "../executions/state/fires.ts";
import type { Execution, PrismaClient, Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { unknownDayError, type CalendarFireFilter } from "../calendars/schedule-filter.ts";
import { dueFires, nextFire, type NextFireOptions } from "./schedule.ts";
import { DueIndex, type DueTask } from "./timers.ts";

export interface FiresDeps {
  prisma: PrismaClient;
  /** the fire statement's runner (the engine's hot-path statements, not Prisma) */
  sql: Sql;
  clock: Clock;
  logger: Logger;
  /** publishes rows a fire statement created, after its commit (events, wake the runners) */
  publishCreated: (rows: Execution[]) => void;
  /** missed fires older than this are dropped */
  catchUpWindowMs: number;
  /** RUN_ALL runs at most this many missed fires */
  catchUpMax: number;
  /** a fire this late is still on time (timer jitter, a busy event loop); later = missed */
  onTimeGraceMs: number;
  /** fires are written this long before they are due (their runs PENDING until runAfter), so
   *  the fire statement is off the path from a fire's time to its start */
  leadMs?: number;
  /** due tasks planned and written per statement (bounded, so claims get the pool in between) */
  batchSize?: number;
  /** a task's day filter (its trading calendar; CalendarService.fireFilter, cached): asked only
   *  for tasks on a calendar. A fire on a day the calendar does not cover is recorded SKIPPED
   *  with unknownDayError and raises CALENDAR_GAP. */
  fireFilter?: (task: DueTask) => Promise<CalendarFireFilter | undefined>;
}

/** A proposal may come a little before the nominal time, beyond the lead (a clock step, another
 *  instance's timer): up to this early, the nominal fire is taken (it still cannot start before
 *  its runAfter). */
export const EARLY_TOLERANCE_MS = 1000;

export interface FirePlan {
  /** due fires no later than the grace: run as ordinary SCHEDULE fires */
  onTime: Date[];
  /** due fires later than the grace: the misfire policy decides */
  missed: Date[];
  catchUp: Date[];
  /** missed fires outside the catch-up window or beyond the cap */
  dropped: number;
  next: Date | null;
}

/** The pure part of a fire: what is due at `now` for a task whose next fire was `nextRunAt`. */
export function planFire(
  task: Pick<Task, "cron" | "intervalSeconds" | "runAt" | "timezone" | "misfirePolicy">,
  nextRunAt: Date,
  now: Date,
  opts: Pick<FiresDeps, "catchUpWindowMs" | "catchUpMax" | "onTimeGraceMs" | "leadMs"> & Pick<NextFireOptions, "filter">,
): FirePlan | null {
  if (nextRunAt.getTime() > now.getTime() + (opts.leadMs ?? 0) + EARLY_TOLERANCE_MS) return null;
  const effectiveNow = nextRunAt.getTime() > now.getTime() ? nextRunAt : now;
  const windowStart = new Date(effectiveNow.getTime() - opts.catchUpWindowMs);
  let start: Date | null = nextRunAt;
  let dropped = 0;
  if (start.getTime() < windowStart.getTime()) {
    // fires before the window are not even listed (a stopped every-second job could have millions)
    dropped = -1;
    start = nextFire(task, new Date(windowStart.getTime() - 1), { anchor: nextRunAt, filter: opts.filter });
  }
  const due = start && start.getTime() <= effectiveNow.getTime()
    ? dueFires(task, start, effectiveNow, opts.catchUpMax + 1, opts.filter)
    : { fires: [], dropped: 0, next: start ?? nextFire(task, effectiveNow, { anchor: nextRunAt, filter: opts.filter }) };
  const late = (t: Date) => effectiveNow.getTime() - t.getTime() > opts.onTimeGraceMs;
  const onTime = due.fires.filter((t) => !late(t));
  const missed = due.fires.filter(late);
  let catchUp: Date[];
  switch (task.misfirePolicy) {
    case "SKIP":
      catchUp = [];
      break;
    case "RUN_ONCE":
      catchUp = missed.length ? [missed.at(-1)!] : [];
      break;
    case "RUN_ALL":
      catchUp = missed.slice(-opts.catchUpMax);
      break;
  }
  return {
    onTime,
    missed,
    catchUp,
    dropped: dropped < 0 ? -1 : due.dropped + (missed.length - catchUp.length),
    next: due.next,
  };
}

const DUE_TASK_SELECT = {
  id: true,
  name: true,
  calendar: true,
  calendarDays: true,
  offsetDays: true,
  cron: true,
  intervalSeconds: true,
  runAt: true,
  timezone: true,
  misfirePolicy: true,
  nextRunAt: true,
  updatedAt: true,
  enabled: true,
  paused: true,
} as const;

type DueRow = Pick<Task, keyof typeof DUE_TASK_SELECT>;

const dueTask = (t: DueRow): DueTask | null =>
  t.enabled && !t.paused && t.nextRunAt
    ? {
        id: t.id,
        name: t.name,
        cron: t.cron,
        intervalSeconds: t.intervalSeconds,
        runAt: t.runAt,
        timezone: t.timezone,
        misfirePolicy: t.misfirePolicy,
        calendar: t.calendar,
        calendarDays: t.calendarDays,
        offsetDays: t.offsetDays,
        nextRunAt: t.nextRunAt,
        updatedAt: t.updatedAt,
      }
    : null;

/** due tasks per fire statement: 10,000 minute crons were written 1.7× sooner in batches of
 *  1,000 than of 250 (same run, load 9), and a second of 1,000 one-second crons is one statement;
 *  claims still get the pool and the event loop between batches */
const DEFAULT_BATCH = 1000;
/** timers may go off a hair early; a task due within this is taken with the others */
const TIMER_SLACK_MS = 5;
/** after a failed statement, or a task whose fence moved twice in one pass: look again then */
const RETRY_MS = 1000;
/** a task whose row was locked elsewhere (a claim, an edit, another instance firing it) */
const BUSY_RETRY_MS = 20;

export class Fires {
  private readonly index: DueIndex;
  private readonly batchSize: number;
  private readonly leadMs: number;
  private schedulerPaused = false;
  private ticking: Promise<void> | null = null;
  private readonly changed = new Set<number>();
  private changedFlush: Promise<void> | null = null;
  /** tasks found busy (row locked elsewhere) on their last attempt: the next one waits for it */
  private readonly busy = new Set<number>();
  private again = false;
  private stopped = false;

  constructor(private readonly deps: FiresDeps) {
    this.batchSize = deps.batchSize ?? DEFAULT_BATCH;
    this.leadMs = deps.leadMs ?? 0;
    this.index = new DueIndex({ clock: deps.clock, onDue: () => this.wake(), leadMs: this.leadMs });
  }

  /** the due time this instance holds for a task (introspection for tests and status) */
  dueAt(taskId: number): Date | null {
    return this.index.get(taskId)?.nextRunAt ?? null;
  }

  /** Rebuilds the index from the database: two queries, only the columns planning needs. Fires
   *  already due (missed while no instance was up) come due at once, in batches. */
  async resync(): Promise<void> {
    const { prisma } = this.deps;
    const [state, rows] = await Promise.all([
      prisma.schedulerState.findUnique({ where: { id: 1 }, select: { paused: true } }),
      prisma.task.findMany({ where: { enabled: true, paused: false, nextRunAt: { not: null } }, select: DUE_TASK_SELECT }),
    ]);
    if (this.stopped) return;
    this.schedulerPaused = state?.paused ?? false;
    this.index.replaceAll(this.schedulerPaused ? [] : rows.map(dueTask).filter((t) => t !== null));
  }

  /** A task changed (here or on another instance): re-read it. Changes arriving together (a bulk
   *  import, a burst of NOTIFYs) are re-read in one query. */
  taskChanged(taskId: number): Promise<void> {
    this.changed.add(taskId);
    this.changedFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const ids = [...this.changed];
      this.changed.clear();
      this.changedFlush = null;
      return this.reload(ids);
    });
    return this.changedFlush;
  }

  /** Re-reads these tasks (changed here or on another instance, or their fence moved). */
  async reload(ids: number[], retryAt?: number): Promise<void> {
    if (!ids.length) return;
    const rows = await this.deps.prisma.task.findMany({ where: { id: { in: ids } }, select: DUE_TASK_SELECT });
    if (this.stopped) return;
    const found = new Map(rows.map((r) => [r.id, dueTask(r)]));
    for (const id of ids) {
      const task = this.schedulerPaused ? null : found.get(id);
      if (!task) this.index.remove(id);
      else this.index.set(task, retryAt === undefined ? undefined : Math.max(retryAt, task.nextRunAt.getTime()));
    }
  }

  /** Fire whatever is due now (coalesced: one pass at a time, another after it if asked). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
      this.index.arm();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.index.stop();
    await this.ticking;
  }

  private async tick(): Promise<void> {
    const lostOnce = new Set<number>();
    do {
      this.again = false;
      for (;;) {
        const now = this.deps.clock.now();
        const due = this.index.takeDue(now.getTime() + this.leadMs + TIMER_SLACK_MS, this.batchSize);
        if (!due.length) break;
        await this.fireBatch(due, now, lostOnce).catch((e) => this.deps.logger.error({ err: e }, "fire pass failed"));
        if (this.stopped) return;
        // let claims, finishes and requests have the event loop (and the pool) between batches
        if (due.length === this.batchSize) await new Promise((r) => setImmediate(r));
      }
    } while (this.again && !this.stopped);
  }

  private async fireBatch(due: { task: DueTask; gen: number }[], now: Date, lostOnce: Set<number>): Promise<void> {
    const { index } = this;
    const batch: { task: DueTask; gen: number; advance: TaskAdvance }[] = [];
    // calendars are read (from the calendar cache) before planning, which is synchronous
    const filters = await Promise.all(due.map(({ task }) => (task.calendar ? this.deps.fireFilter?.(task) : undefined)));
    for (const [i, { task, gen }] of due.entries()) {
      const filter = filters[i];
      const plan = planFire(task, task.nextRunAt, now, { ...this.deps, filter });
      if (!plan) {
        index.setIfCurrent(task, gen); // not due yet after all (far from the slack: clock moved)
        continue;
      }
      // a fire on a day the calendar does not know does not run: it is on record as SKIPPED
      const unknownDay = (at: Date) => filter?.check(at) === "unknown";
      const skipped = (at: Date) => (unknownDay(at) ? { skipped: unknownDayError(filter!, at) } : {});
      const fires: PlannedFire[] = [
        ...plan.catchUp.map((at) => ({ scheduledAt: at, trigger: "CATCH_UP" as const, runAfter: now, ...skipped(at) })),
        ...plan.onTime.map((at) => ({ scheduledAt: at, trigger: "SCHEDULE" as const, runAfter: at, ...skipped(at) })),
      ];
      const misfire = plan.missed.length > 0 || plan.dropped !== 0;
      // alert causes, written by the fire statement with the fires (see AlertCause)
      const alerts: FireAlert[] = fires
        .filter((f) => f.skipped !== undefined)
        .map((f) => ({
          event: "CALENDAR_GAP",
          key: `CALENDAR_GAP:${filter!.calendar}:${filter!.dayOf(f.scheduledAt)}:${task.id}`,
          scheduledAt: f.scheduledAt,
          payload: { taskName: task.name, status: "SKIPPED", error: f.skipped, scheduledAt: f.scheduledAt.toISOString(), calendar: filter!.calendar, date: filter!.dayOf(f.scheduledAt) },
        }));
      if (misfire) {
        alerts.push({
          event: "MISSED_FIRE",
          payload: { taskName: task.name, policy: task.misfirePolicy, missed: plan.missed.length, caughtUp: plan.catchUp.length, scheduledAt: plan.missed[0]?.toISOString() ?? null },
        });
      }
      batch.push({
        task,
        gen,
        advance: {
          taskId: task.id,
          expectedNextRunAt: task.nextRunAt,
          expectedUpdatedAt: task.updatedAt,
          nextRunAt: plan.next,
          fires,
          alerts,
          audit: misfire
            ? {
                action: "schedule.misfire",
                actor: SYSTEM_ACTOR,
                details: {
                  policy: task.misfirePolicy,
                  missed: plan.missed.length,
                  caughtUp: plan.catchUp.length,
                  droppedOutsideWindow: plan.dropped < 0,
                  firstMissed: plan.missed[0]?.toISOString() ?? null,
                },
              }
            : undefined,
        },
      });
    }
    const waiting = batch.filter((b) => this.busy.has(b.task.id));
    const skipping = batch.filter((b) => !this.busy.has(b.task.id));
    await this.write(skipping, now, lostOnce, false);
    await this.write(waiting, now, lostOnce, true);
  }

  private async write(batch: { task: DueTask; gen: number; advance: TaskAdvance }[], now: Date, lostOnce: Set<number>, waitForLocks: boolean): Promise<void> {
    if (!batch.length) return;
    const { index } = this;
    let result;
    const started = performance.now();
    try {
      result = await recordFires(this.deps.sql, batch.map((b) => b.advance), now, { waitForLocks });
    } catch (e) {
      // nothing was written (one statement): the same fires are proposed again shortly
      for (const b of batch) index.setIfCurrent(b.task, b.gen, now.getTime() + RETRY_MS);
      throw e;
    }
    const lost: number[] = [];
    const lostAgain: number[] = [];
    for (const { task, gen, advance } of batch) {
      this.busy.delete(task.id);
      if (result.advanced.has(task.id)) {
        if (advance.nextRunAt) index.setIfCurrent({ ...task, nextRunAt: advance.nextRunAt }, gen);
        else index.removeIfCurrent(task.id, gen);
      } else if (result.busy.has(task.id)) {
        this.busy.add(task.id);
        index.setIfCurrent(task, gen, now.getTime() + BUSY_RETRY_MS);
      } else if (lostOnce.has(task.id)) {
        lostAgain.push(task.id);
      } else {
        lostOnce.add(task.id);
        lost.push(task.id);
      }
    }
    this.deps.logger.debug(
      { tasks: batch.length, waitForLocks, advanced: result.advanced.size, busy: result.busy.size, created: result.created.length, lateMs: now.getTime() - batch[0]!.task.nextRunAt.getTime(), ms: Math.round(performance.now() - started) },
      "fires written",
    );
    // after the commit: subscribers, metrics and the runners hear of the new runs
    if (result.created.length) this.deps.publishCreated(result.created);
    // another instance fired them first, or they were edited, paused or disabled: re-read them
    await this.reload(lost);
    await this.reload(lostAgain, now.getTime() + RETRY_MS);
  }
}
