// The next few fire times of a task, for people planning around them (the dashboard's schedule
// column, `Task.upcomingFires`). Starts at the persisted nextRunAt — the one the engine will
// fire — and steps on with the same next-fire rule the timers use, so the list never disagrees
// with what will happen. A disabled or paused task (nextRunAt null) has none.
import { nextFire, type FireFilter, type Schedule } from "./schedule.ts";

export const MAX_UPCOMING_FIRES = 100;

/** `filter`: the task's trading-calendar day filter (a day it does not cover is listed: that fire
 *  will be recorded SKIPPED) */
export function upcomingFires(schedule: Schedule, nextRunAt: Date | null, count: number, filter?: FireFilter): Date[] {
  const fires: Date[] = [];
  let t = nextRunAt;
  while (t && fires.length < count) {
    fires.push(t);
    t = nextFire(schedule, t, { anchor: t, filter });
  }
  return fires;
}
