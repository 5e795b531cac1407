// When a task fires: pure functions over a task's schedule, shared by validation (is this a
// schedule at all?), the fire path (when next? what was missed?) and previews. `nextFire` is the
// one function that answers "when next"; everything else is built on it.
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
  return new Cron(expr, { timezone, paused: true, mode: expr.trim().split(/\s+/).length === 6 ? "6-part" : "5-part" });
}

/** Parsed crons by pattern and zone (or fixed offset): a paused Cron holds no timer, and parsing
 *  is the costly part of a first `nextRun`. Bounded, oldest dropped first. */
const CRON_CACHE_MAX = 2000;
const cronCache = new Map<string, Cron>();
function cachedCron(expr: string, zone: string | number): Cron {
  const key = `${zone}\u0000${expr}`;
  let cron = cronCache.get(key);
  if (!cron) {
    const mode = expr.trim().split(/\s+/).length === 6 ? "6-part" : "5-part";
    cron = typeof zone === "number" ? new Cron(expr, { utcOffset: zone, paused: true, mode }) : cronFor(expr, zone);
    if (cronCache.size >= CRON_CACHE_MAX) cronCache.delete(cronCache.keys().next().value!);
    cronCache.set(key, cron);
  }
  return cron;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset from UTC at `t`, in minutes. */
function utcOffsetMinutes(t: Date, timezone: string): number {
  let f = offsetFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    offsetFormats.set(timezone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== "literal") p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((wall - Math.floor(t.getTime() / 1000) * 1000) / 60_000);
}

/** Fires closer than this to `after` are computed at the zone's fixed offset when the offset is
 *  the same at both ends (no DST change can hide in between: zones change at most a few times a
 *  year); anything else, croner's zone-aware (and ~50× slower) path decides. */
const FIXED_OFFSET_SPAN_MS = 7 * 24 * 3600_000;

function zonedNextRun(expr: string, timezone: string, after: Date): Date | null {
  if (timezone === "UTC") return cachedCron(expr, 0).nextRun(after);
  const offset = utcOffsetMinutes(after, timezone);
  const quick = cachedCron(expr, offset).nextRun(after);
  if (quick && quick.getTime() - after.getTime() <= FIXED_OFFSET_SPAN_MS && utcOffsetMinutes(quick, timezone) === offset) return quick;
  const zoned = cachedCron(expr, timezone).nextRun(after);
  // croner answers a time before `after` when asked from inside a fall-back's repeated hour
  return zoned && zoned.getTime() <= after.getTime() ? quick : zoned;
}

/** Answers of cron `nextRun` by (zone, pattern, instant): a tick of 1,000 tasks on one pattern
 *  asks the same question 1,000 times. A pure function's memo; cleared when full. */
const NEXT_RUN_MEMO_MAX = 10_000;
const nextRunMemo = new Map<string, Date | null>();
function cronNext(expr: string, timezone: string, after: Date): Date | null {
  const key = `${timezone}\u0000${expr}\u0000${after.getTime()}`;
  if (nextRunMemo.has(key)) return nextRunMemo.get(key)!;
  const next = zonedNextRun(expr, timezone, after);
  if (nextRunMemo.size >= NEXT_RUN_MEMO_MAX) nextRunMemo.clear();
  nextRunMemo.set(key, next);
  return next;
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

/** An optional narrowing of fire times by day (a trading calendar). `check`: true runs, false
 *  drops the fire, "unknown" keeps it so that the fire path records it as SKIPPED; `endOfDay` is
 *  the last instant of the fire's day, so a dropped day is skipped whole (an every-second cron over
 *  a closed day costs one check, not 86,400). */
export interface FireFilter {
  check(at: Date): boolean | "unknown";
  endOfDay(at: Date): Date;
}

export interface NextFireOptions {
  /** interval schedules: the task's previous nominal fire, so fires stay on the grid
   *  anchor + k × interval (no drift); without it the first fire is one interval after `after` */
  anchor?: Date | null;
  /** only fire where this filter does not drop the day (see FireFilter). A one-off on a dropped
   *  day never fires; so does a schedule whose next MAX_FILTERED_DAYS candidate days are dropped. */
  filter?: FireFilter;
}

/** a filter that drops every day for this long means the schedule never fires */
export const MAX_FILTERED_DAYS = 3700;

/**
 * THE schedule function: the first fire strictly after `after`, or null when there is none (a
 * one-off in the past, a cron that never fires again, a filter that drops every day).
 * Pure; used by the fire path (what is due, what next) and Task.nextRunAt planning, and meant for
 * previews of upcoming fires.
 */
export function nextFire(s: Schedule, after: Date, opts: NextFireOptions = {}): Date | null {
  const { anchor, filter } = opts;
  let t = nextFireIgnoringDays(s, after, anchor);
  if (!filter) return t;
  for (let days = 0; t && days < MAX_FILTERED_DAYS; days++) {
    if (filter.check(t) !== false) return t;
    t = nextFireIgnoringDays(s, filter.endOfDay(t), anchor);
  }
  return null;
}

function nextFireIgnoringDays(s: Schedule, after: Date, anchor?: Date | null): Date | null {
  if (s.cron !== null) return cronNext(s.cron, s.timezone, after);
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

/** Every nominal fire in [nextRunAt, now], for misfire handling after downtime or a stall.
 *  `filter` is nextFire's day filter (nextRunAt itself was planned with it). */
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
    t = nextFire(s, t, { anchor: t, filter });
  }
  return { fires, dropped, next: t };
}
