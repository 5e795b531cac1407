// When a task fires: pure functions over a task's schedule, shared by validation (is this a
// schedule at all?), the timers (when next?) and misfire handling (what was missed?).
//
// Cron expressions have 5 fields (minute precision) or 6 (leading seconds) and are evaluated by
// croner in the task's IANA time zone. Daylight-saving time is handled as croner does: a local
// time skipped by the spring-forward gap is shifted forward by the gap (02:30 → 03:30 in
// Europe/Berlin), and a local time that occurs twice at fall-back fires once.
// Intervals are anchored: fires are nextRunAt, nextRunAt + interval, … so they do not drift.
import { Cron } from "croner";

export interface Schedule {
  cron: string | null;
  intervalSeconds: number | null;
  runAt: Date | null;
  timezone: string;
}

/** Longest interval: Node timers cannot wait longer than 2^31-1 ms (~24.8 days). */
export const MAX_INTERVAL_SECONDS = 2_000_000;

export class ScheduleError extends Error {
  constructor(readonly field: "cron" | "intervalSeconds" | "runAt" | "timezone" | "schedule", message: string) {
    super(message);
  }
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function cronFor(expr: string, timezone: string): Cron {
  return new Cron(expr, { timezone, paused: true, mode: expr.trim().split(/\s+/).length === 6 ? "6-part" : "5-part" } as never);
}

/** Throws ScheduleError naming the field at fault. */
export function checkSchedule(s: Schedule, now: Date): void {
  const set = [s.cron !== null, s.intervalSeconds !== null, s.runAt !== null].filter(Boolean).length;
  if (set !== 1) throw new ScheduleError("schedule", "give exactly one of cron, intervalSeconds or runAt");
  if (!isValidTimeZone(s.timezone)) throw new ScheduleError("timezone", `unknown time zone "${s.timezone}" (use an IANA name such as "Asia/Shanghai")`);
  if (s.cron !== null) {
    const fields = s.cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) throw new ScheduleError("cron", `cron must have 5 fields (or 6 with leading seconds); got ${fields}`);
    let next: Date | null;
    try {
      next = cronFor(s.cron, s.timezone).nextRun(now);
    } catch (e) {
      throw new ScheduleError("cron", `invalid cron expression "${s.cron}": ${(e as Error).message}`);
    }
    if (!next) throw new ScheduleError("cron", `cron expression "${s.cron}" never fires`);
  }
  if (s.intervalSeconds !== null && (!Number.isInteger(s.intervalSeconds) || s.intervalSeconds < 1 || s.intervalSeconds > MAX_INTERVAL_SECONDS)) {
    throw new ScheduleError("intervalSeconds", `intervalSeconds must be a whole number from 1 to ${MAX_INTERVAL_SECONDS}`);
  }
  if (s.runAt !== null && s.runAt.getTime() <= now.getTime()) throw new ScheduleError("runAt", "runAt must be in the future");
}

/** An optional narrowing of fire times by day (a trading calendar, src/calendars/schedule-filter.ts).
 *  `check`: true runs, false drops the fire, "unknown" keeps it so the fire path records it as
 *  skipped; `endOfDay` is the last instant of the fire's day, so a dropped day is skipped whole. */
export interface FireFilter {
  check(at: Date): boolean | "unknown";
  endOfDay(at: Date): Date;
}

/** a filter that drops every day for this long means the schedule never fires */
const MAX_FILTERED_DAYS = 3700;

/** The first fire strictly after `after`, or null when there is none (a one-off in the past).
 *  `anchor` is the task's previous nominal fire for interval schedules. */
export function nextFireAfter(s: Schedule, after: Date, anchor?: Date | null, filter?: FireFilter): Date | null {
  let t = unfilteredNextFire(s, after, anchor);
  if (!filter) return t;
  for (let days = 0; t && days < MAX_FILTERED_DAYS; days++) {
    if (filter.check(t) !== false) return t;
    t = unfilteredNextFire(s, filter.endOfDay(t), anchor);
  }
  return null;
}

function unfilteredNextFire(s: Schedule, after: Date, anchor?: Date | null): Date | null {
  if (s.cron !== null) return cronFor(s.cron, s.timezone).nextRun(after);
  if (s.intervalSeconds !== null) {
    const step = s.intervalSeconds * 1000;
    if (!anchor) return new Date(after.getTime() + step);
    if (anchor.getTime() > after.getTime()) return anchor;
    const k = Math.floor((after.getTime() - anchor.getTime()) / step) + 1;
    return new Date(anchor.getTime() + k * step);
  }
  if (s.runAt !== null) return s.runAt.getTime() > after.getTime() ? s.runAt : null;
  return null;
}

export interface DueFires {
  /** nominal fire times from nextRunAt up to now, oldest first (at most `max`, newest kept) */
  fires: Date[];
  /** how many older due fires were left out beyond `max` */
  dropped: number;
  /** the next fire after now, to persist as Task.nextRunAt */
  next: Date | null;
}

/** Every nominal fire in [nextRunAt, now], for misfire handling after downtime or a stall. */
export function dueFires(s: Schedule, nextRunAt: Date, now: Date, max: number, filter?: FireFilter): DueFires {
  const fires: Date[] = [];
  let dropped = 0;
  let t: Date | null = nextRunAt;
  while (t && t.getTime() <= now.getTime()) {
    fires.push(t);
    if (fires.length > max) {
      fires.shift();
      dropped++;
    }
    t = nextFireAfter(s, t, t, filter);
  }
  return { fires, dropped, next: t };
}
