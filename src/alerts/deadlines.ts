// DEADLINE_MISSED: a scheduled fire whose run (retries included) has not SUCCEEDED within the
// task's deadlineSeconds after scheduledAt. The fires are derived from the schedule (calendar
// included), not from existing rows, so a fire that never ran because every instance was down
// is noticed when one comes back. The Outbox key (task + fire time) makes the alert one row
// however many instances and checks notice it.
import type { Clock } from "../clock.ts";
import type { PrismaClient, Task } from "../generated/prisma/client.ts";
import type { Logger } from "../logging/logger.ts";
import { nextFire, type FireFilter } from "../scheduler/schedule.ts";
import { enqueueAlerts } from "./outbox.ts";
import type { AlertCause } from "./payload.ts";

export interface DeadlineDeps {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  fireFilter: (task: DeadlineTask) => Promise<FireFilter | undefined>;
  /** fires older than this (plus the deadline) are not looked at any more */
  lookbackMs: number;
}

/** a task as the check reads it: everything but its config */
type DeadlineTask = Omit<Task, "config">;

/** a run finishing right at its deadline may commit a moment later */
const SETTLE_MS = 2000;
/** a schedule dense enough to have more fires in the window is looked at for its newest ones */
const MAX_FIRES = 2000;

export const deadlineKey = (taskId: number, fire: Date) => `DEADLINE_MISSED:${taskId}:${fire.toISOString()}`;

/** The task's nominal fires in [from, until] that should have run (calendar days included, days
 *  the calendar does not cover excluded: those are CALENDAR_GAP alerts). Newest MAX_FIRES. */
export function nominalFires(task: Pick<Task, "cron" | "intervalSeconds" | "runAt" | "timezone" | "nextRunAt">, from: Date, until: Date, filter?: FireFilter): Date[] {
  const out: Date[] = [];
  const keep = (t: Date) => {
    if (filter && filter.check(t) !== true) return;
    out.push(t);
    if (out.length > MAX_FIRES) out.shift();
  };
  if (task.cron !== null) {
    for (let t = nextFire(task, new Date(from.getTime() - 1), { filter }); t && t <= until; t = nextFire(task, t, { anchor: t, filter })) keep(t);
  } else if (task.intervalSeconds !== null && task.nextRunAt) {
    // the interval grid is anchored at nextRunAt: walk it back into [from, until]
    const step = task.intervalSeconds * 1000;
    const k = Math.ceil((task.nextRunAt.getTime() - from.getTime()) / step);
    for (let t = task.nextRunAt.getTime() - Math.max(0, k) * step; t <= until.getTime(); t += step) if (t >= from.getTime()) keep(new Date(t));
  }
  return out;
}

export class DeadlineChecker {
  /** per task: fires up to here were checked by this instance */
  private readonly checkedUntil = new Map<number, number>();

  constructor(private readonly deps: DeadlineDeps) {}

  /** Enqueues DEADLINE_MISSED for every missed fire not yet alerted; returns how many are new. */
  async check(): Promise<number> {
    const { prisma, clock } = this.deps;
    const now = clock.now();
    if ((await prisma.schedulerState.findUnique({ where: { id: 1 } }))?.paused) return 0;
    const tasks = await prisma.task.findMany({
      where: { deadlineSeconds: { not: null }, enabled: true, paused: false, OR: [{ cron: { not: null } }, { intervalSeconds: { not: null } }] },
      // a task's config may be megabytes, and the check runs every few seconds: it needs none of it
      omit: { config: true },
    });
    let created = 0;
    for (const task of tasks) {
      try {
        created += await this.checkTask(task, now);
      } catch (e) {
        this.deps.logger.error({ err: e, taskId: task.id }, "deadline check failed");
      }
    }
    return created;
  }

  private async checkTask(task: DeadlineTask, now: Date): Promise<number> {
    const deadlineMs = task.deadlineSeconds! * 1000;
    const until = new Date(now.getTime() - deadlineMs - SETTLE_MS);
    const since = Math.max(
      (await this.expectedSince(task)).getTime(),
      until.getTime() - this.deps.lookbackMs,
      (this.checkedUntil.get(task.id) ?? 0) + 1,
    );
    if (since > until.getTime()) return 0;
    const fires = nominalFires(task, new Date(since), until, await this.deps.fireFilter(task));
    const done = () => this.checkedUntil.set(task.id, until.getTime());
    if (!fires.length) {
      done();
      return 0;
    }
    const outcomes = await this.deps.prisma.$queryRaw<{ fire: Date; ok: boolean; latest: number; status: string }[]>`
      WITH RECURSIVE runs AS (
        SELECT id, "scheduledAt" AS fire, status::text AS status, "finishedAt" FROM "Execution"
        WHERE "taskId" = ${task.id} AND "parentId" IS NULL AND "retryOfId" IS NULL
          AND trigger IN ('SCHEDULE', 'CATCH_UP') AND "scheduledAt" >= ${fires[0]} AND "scheduledAt" <= ${fires.at(-1)}
        UNION ALL
        SELECT e.id, r.fire, e.status::text, e."finishedAt" FROM "Execution" e JOIN runs r ON e."retryOfId" = r.id
      )
      SELECT fire, bool_or(status = 'SUCCEEDED' AND "finishedAt" <= fire + make_interval(secs => ${task.deadlineSeconds})) AS ok,
             max(id) AS latest, (array_agg(status ORDER BY id DESC))[1] AS status
      FROM runs GROUP BY fire`;
    const byFire = new Map(outcomes.map((o) => [new Date(o.fire).getTime(), o]));
    const causes: AlertCause[] = [];
    for (const fire of fires) {
      const o = byFire.get(fire.getTime());
      if (o?.ok) continue;
      causes.push({
        event: "DEADLINE_MISSED",
        key: deadlineKey(task.id, fire),
        taskId: task.id,
        executionId: o ? Number(o.latest) : null,
        payload: {
          taskName: task.name,
          status: o?.status ?? "NOT_RUN",
          scheduledAt: fire.toISOString(),
          deadlineAt: new Date(fire.getTime() + deadlineMs).toISOString(),
          deadlineSeconds: task.deadlineSeconds,
          message: o ? null : "no run was started for this fire",
        },
      });
    }
    const created = await enqueueAlerts(this.deps.prisma, causes);
    done();
    return created;
  }

  /** Since when fires of the current schedule were expected: its creation, or the last time it
   *  was enabled, resumed, rescheduled, or the scheduler resumed. */
  private async expectedSince(task: DeadlineTask): Promise<Date> {
    const last = await this.deps.prisma.auditEvent.findFirst({
      where: {
        ok: true,
        OR: [
          { taskId: task.id, action: { in: ["task.enable", "task.resume"] } },
          { taskId: task.id, action: "task.update", details: { path: ["fields"], array_contains: ["schedule"] } },
          { action: "scheduler.resume" },
        ],
      },
      orderBy: { id: "desc" },
      select: { at: true },
    });
    return last && last.at > task.createdAt ? last.at : task.createdAt;
  }
}
