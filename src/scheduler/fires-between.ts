// The nominal fire times of a schedule in a past range, for backfills. It walks the schedule with
// the same next-fire function the timers use (schedule.ts), so a backfilled run lands on exactly
// the time the schedule would have fired, and with the task's calendar filter only on the days it
// allows (a day the calendar does not cover is not a fire we can vouch for: left out).
import { nextFire, type FireFilter, type Schedule } from "./schedule.ts";

export interface FiresBetween {
  /** nominal times in [from, until), oldest first, at most `max` */
  fires: Date[];
  /** true when there were more than `max` */
  truncated: boolean;
}

/**
 * Every nominal fire in [from, until), oldest first; stops after `max` + 1 so a huge range costs
 * no more than the bound. `anchor` is a known fire of an interval schedule (the task's nextRunAt):
 * interval fires are anchor + k × interval for any whole k, before the anchor as well as after.
 */
export function firesBetween(s: Schedule, from: Date, until: Date, max: number, anchor?: Date | null, filter?: FireFilter): FiresBetween {
  const fires: Date[] = [];
  let start = anchor ?? from;
  if (s.intervalSeconds !== null && start.getTime() > from.getTime()) {
    // step the anchor back to at or before `from`: nextFireAfter only walks forward from it
    const step = s.intervalSeconds * 1000;
    start = new Date(start.getTime() - Math.ceil((start.getTime() - from.getTime()) / step) * step);
  }
  // the first fire at or after `from` (nextFireAfter is strictly after its argument)
  let t = nextFire(s, new Date(from.getTime() - 1), { anchor: start, filter });
  while (t && t.getTime() < until.getTime()) {
    if (filter?.check(t) !== "unknown") {
      if (fires.length === max) return { fires, truncated: true };
      fires.push(t);
    }
    t = nextFire(s, t, { anchor: t, filter });
  }
  return { fires, truncated: false };
}
