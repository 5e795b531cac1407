// In-process timers (toad-scheduler), one job per schedulable task. They only *propose* fires:
// when one goes off, Fires.fireDue asks the database what is really due. So a timer that is
// early, late, duplicated on another instance or left over from an old schedule does no harm.
//   cron     → CronJob (croner; the task's time zone, DST as croner handles it)
//   runAt    → CronJob on that instant (croner accepts an ISO date as a one-off pattern)
//   interval → a one-off CronJob at the persisted nextRunAt, then a SimpleIntervalJob from there,
//              so fires stay on the anchored grid (nextRunAt + k × interval) and do not drift
import { AsyncTask, CronJob, LongIntervalJob, SimpleIntervalJob, ToadScheduler } from "toad-scheduler";
import type { Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { MAX_INTERVAL_SECONDS, nextFireAfter } from "./schedule.ts";

type Schedulable = Pick<Task, "id" | "cron" | "intervalSeconds" | "runAt" | "timezone" | "enabled" | "paused" | "nextRunAt">;

/** croner fires on whole seconds: aim at the first whole second at or after `t` */
const ceilToSecond = (t: Date) => new Date(Math.ceil(t.getTime() / 1000) * 1000);
/** Node timers overflow beyond 2^31-1 ms */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ScheduleTimers {
  private readonly scheduler = new ToadScheduler();
  /** what each task's job was built from, to leave unchanged jobs alone */
  private readonly signatures = new Map<number, string>();
  private stopped = false;

  constructor(private readonly deps: { fire: (taskId: number) => Promise<unknown>; logger: Logger }) {}

  /** (Re)arms the task's timer, or removes it when the task is gone, disabled, paused or done. */
  sync(task: Schedulable | null, taskId = task?.id): void {
    if (taskId === undefined || this.stopped) return;
    const signature = task && task.enabled && !task.paused && task.nextRunAt ? this.signature(task) : null;
    if (this.signatures.get(taskId) === (signature ?? undefined)) return;
    this.remove(taskId);
    if (!task || !signature) return;
    try {
      this.add(task);
      this.signatures.set(taskId, signature);
    } catch (e) {
      // schedules are validated when saved; a bad one must still not break the other tasks
      this.remove(taskId);
      this.deps.logger.error({ err: e, taskId }, "could not arm timer");
    }
  }

  stop(): void {
    this.stopped = true;
    this.scheduler.stop();
    this.signatures.clear();
  }

  armedCount(): number {
    return this.signatures.size;
  }

  private signature(t: Schedulable): string {
    // interval jobs follow the grid nextRunAt + k × interval: its phase, not nextRunAt itself,
    // decides whether the job must change (nextRunAt moves on at every fire)
    const anchor = t.intervalSeconds !== null ? t.nextRunAt!.getTime() % (t.intervalSeconds * 1000) : "";
    return `${t.cron}|${t.intervalSeconds}|${t.runAt?.getTime()}|${t.timezone}|${anchor}`;
  }

  private task(taskId: number, after?: () => void): AsyncTask {
    return new AsyncTask(
      `fire-${taskId}`,
      async () => {
        await this.deps.fire(taskId);
        after?.();
      },
      (e) => this.deps.logger.error({ err: e, taskId }, "fire failed"),
    );
  }

  private add(t: Schedulable): void {
    const id = `task-${t.id}`;
    if (t.cron !== null) {
      this.scheduler.addCronJob(new CronJob({ cronExpression: t.cron, timezone: t.timezone }, this.task(t.id), { id, preventOverrun: true }));
    } else if (t.runAt !== null) {
      this.scheduler.addCronJob(new CronJob({ cronExpression: ceilToSecond(t.runAt).toISOString() }, this.task(t.id), { id, preventOverrun: true }));
    } else if (t.intervalSeconds !== null) {
      const intervalMs = Math.min(t.intervalSeconds, MAX_INTERVAL_SECONDS) * 1000;
      const startInterval = () => {
        if (this.stopped || !this.scheduler.existsById(`${id}-align`)) return;
        this.scheduler.removeById(`${id}-align`);
        const Job = intervalMs > MAX_TIMER_MS ? LongIntervalJob : SimpleIntervalJob;
        this.scheduler.addIntervalJob(new Job({ milliseconds: intervalMs }, this.task(t.id), { id, preventOverrun: true }));
      };
      const firstAt = ceilToSecond(nextFireAfter(t, new Date(Date.now() - 1), t.nextRunAt)!);
      this.scheduler.addCronJob(
        new CronJob({ cronExpression: firstAt.toISOString() }, this.task(t.id, startInterval), { id: `${id}-align`, preventOverrun: true }),
      );
    }
  }

  private remove(taskId: number): void {
    for (const id of [`task-${taskId}`, `task-${taskId}-align`]) {
      if (this.scheduler.existsById(id)) this.scheduler.removeById(id);
    }
    this.signatures.delete(taskId);
  }
}
