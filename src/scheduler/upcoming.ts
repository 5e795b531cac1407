// The next few fire times of a task, for people planning around them (the dashboard's schedule
// column, `Task.upcomingFires`). Starts at the persisted nextRunAt — the one the engine will
// fire — and steps on with the same next-fire rule the timers use, so the list never disagrees
// with what will happen. A disabled or paused task (nextRunAt null) has none.
import { nextFireAfter, type Schedule } from "./schedule.ts";

export const MAX_UPCOMING_FIRES = 100;

export function upcomingFires(schedule: Schedule, nextRunAt: Date | null, count: number): Date[] {
  const fires: Date[] = [];
  let t = nextRunAt;
  while (t && fires.length < count) {
    fires.push(t);
    t = nextFireAfter(schedule, t, t);
  }
  return fires;
}
