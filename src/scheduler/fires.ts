// A timer only proposes a fire; this decides, in one transaction holding the task's row lock:
// is the task due, which nominal fire times are due, which of them are on time and which were
// missed (downtime, a stall), what the misfire policy makes of the missed ones, and the next
// fire to persist. Inserts use the unique (taskId, scheduledAt) guard, so any number of
// instances proposing the same fire produce one execution.
import { SYSTEM_ACTOR, type AuditLog } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import type { ExecutionService } from "../executions/service.ts";
import type { Execution, Prisma, PrismaClient, Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { enqueueAlerts } from "../alerts/outbox.ts";
import { unknownDayError, type CalendarFireFilter } from "../calendars/schedule-filter.ts";
import { dueFires, nextFireAfter, type FireFilter } from "./schedule.ts";

export interface FiresDeps {
  prisma: PrismaClient;
  executions: ExecutionService;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** missed fires older than this are dropped */
  catchUpWindowMs: number;
  /** RUN_ALL runs at most this many missed fires */
  catchUpMax: number;
  /** a fire this late is still on time (timer jitter, a busy event loop); later = missed */
  onTimeGraceMs: number;
  /** the task's trading-calendar day filter (CalendarService.fireFilter) */
  fireFilter: (task: Task, db: Prisma.TransactionClient) => Promise<CalendarFireFilter | undefined>;
}

/** A timer may go off a little before the nominal time (croner works in whole seconds). */
const EARLY_TOLERANCE_MS = 1000;

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
  opts: Pick<FiresDeps, "catchUpWindowMs" | "catchUpMax" | "onTimeGraceMs"> & { filter?: FireFilter },
): FirePlan | null {
  const { filter } = opts;
  if (nextRunAt.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return null;
  const effectiveNow = nextRunAt.getTime() > now.getTime() ? nextRunAt : now;
  const windowStart = new Date(effectiveNow.getTime() - opts.catchUpWindowMs);
  let start: Date | null = nextRunAt;
  let dropped = 0;
  if (start.getTime() < windowStart.getTime()) {
    // fires before the window are not even listed (a stopped every-second job could have millions)
    dropped = -1;
    start = nextFireAfter(task, new Date(windowStart.getTime() - 1), nextRunAt, filter);
  }
  const due = start && start.getTime() <= effectiveNow.getTime()
    ? dueFires(task, start, effectiveNow, opts.catchUpMax + 1, filter)
    : { fires: [], dropped: 0, next: start ?? nextFireAfter(task, effectiveNow, nextRunAt, filter) };
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

export class Fires {
  constructor(private readonly deps: FiresDeps) {}

  /** Fire whatever is due for one task; returns the executions it created. */
  async fireDue(taskId: number): Promise<Execution[]> {
    const { prisma, clock, executions } = this.deps;
    const created = await prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Task" WHERE id = ${taskId} FOR NO KEY UPDATE`;
      if (!locked.length) return [];
      const task = (await tx.task.findUnique({ where: { id: taskId } }))!;
      if (!task.enabled || task.paused || !task.nextRunAt) return [];
      const state = await tx.schedulerState.findUnique({ where: { id: 1 } });
      if (state?.paused) return [];
      const now = clock.now();
      const filter = await this.deps.fireFilter(task, tx);
      const plan = planFire(task, task.nextRunAt, now, { ...this.deps, filter });
      if (!plan) return [];
      // a fire on a day the calendar does not cover does not run: it is on record as SKIPPED
      const unknownDay = (at: Date) => filter?.check(at) === "unknown";
      const gap = (at: Date) => (unknownDay(at) ? { status: "SKIPPED" as const, finishedAt: now, error: unknownDayError(filter!, at) } : {});
      const runs: Prisma.ExecutionCreateManyInput[] = [
        ...plan.catchUp.map((at) => ({ taskId, trigger: "CATCH_UP" as const, scheduledAt: at, runAfter: now, ...gap(at) })),
        ...plan.onTime.map((at) => ({ taskId, trigger: "SCHEDULE" as const, scheduledAt: at, runAfter: at, ...gap(at) })),
      ];
      const rows = runs.length ? await tx.execution.createManyAndReturn({ data: runs, skipDuplicates: true }) : [];
      await tx.task.update({ where: { id: taskId }, data: { nextRunAt: plan.next } });
      await enqueueAlerts(tx, rows.filter((r) => unknownDay(r.scheduledAt)).map((r) => ({
        event: "CALENDAR_GAP" as const,
        key: `CALENDAR_GAP:${filter!.calendar}:${filter!.dayOf(r.scheduledAt)}:${taskId}`,
        taskId,
        executionId: r.id,
        payload: { taskName: task.name, status: r.status, error: r.error, scheduledAt: r.scheduledAt.toISOString(), calendar: filter!.calendar, date: filter!.dayOf(r.scheduledAt) },
      })));
      if (plan.missed.length || plan.dropped) {
        await this.deps.audit.record(
          {
            actor: SYSTEM_ACTOR,
            action: "schedule.misfire",
            ok: true,
            taskId,
            details: {
              policy: task.misfirePolicy,
              missed: plan.missed.length,
              caughtUp: plan.catchUp.length,
              droppedOutsideWindow: plan.dropped < 0,
              firstMissed: plan.missed[0]?.toISOString() ?? null,
            },
          },
          tx,
        );
        await enqueueAlerts(tx, [{
          event: "MISSED_FIRE",
          taskId,
          payload: { taskName: task.name, policy: task.misfirePolicy, missed: plan.missed.length, caughtUp: plan.catchUp.length, scheduledAt: plan.missed[0]?.toISOString() ?? null },
        }]);
      }
      return rows;
    });
    if (created.length) executions.created(created);
    return created;
  }

  /** Safety net and start-up: fire every task whose next fire has passed. */
  async fireAllDue(): Promise<void> {
    const now = this.deps.clock.now();
    const due = await this.deps.prisma.task.findMany({
      where: { enabled: true, paused: false, nextRunAt: { lte: now } },
      select: { id: true },
      orderBy: { nextRunAt: "asc" },
    });
    for (const { id } of due) {
      await this.fireDue(id).catch((e) => this.deps.logger.error({ err: e, taskId: id }, "fire failed"));
    }
  }
}
