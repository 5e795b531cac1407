// The calendar day filter of a schedule: the cron (or interval) gives the times of day, the
// calendar says on which days. The fire's day is its date in the schedule's time zone.
// Pure: the calendar's data is loaded by the caller (CalendarService.fireFilter).
import { Cron } from "croner";
import type { CalendarDays } from "../generated/prisma/enums.ts";
import type { FireFilter } from "../scheduler/schedule.ts";
import { localDay, matches, type CalendarData } from "./days.ts";

export interface CalendarRule {
  days: CalendarDays;
  offsetDays: number;
  timezone: string;
}

const midnights = new Map<string, Cron>();

/** The last instant of the local day of `at` in `timezone` (DST days are 23 or 25 hours long). */
export function endOfLocalDay(at: Date, timezone: string): Date {
  let c = midnights.get(timezone);
  if (!c) midnights.set(timezone, (c = new Cron("0 0 0 * * *", { timezone, paused: true })));
  // croner moves a midnight that a DST change skips to the first valid instant after it
  return new Date(c.nextRun(at)!.getTime() - 1);
}

export interface CalendarFireFilter extends FireFilter {
  calendar: string;
  /** the calendar date a fire falls on (for messages: "XSHG has no data for 2027-01-04") */
  dayOf(at: Date): string;
}

export function calendarFireFilter(cal: CalendarData, rule: CalendarRule): CalendarFireFilter {
  const dayOf = (at: Date) => localDay(at, rule.timezone);
  return {
    calendar: cal.name,
    dayOf,
    check: (at) => matches(cal, rule.days, dayOf(at), rule.offsetDays),
    endOfDay: (at) => endOfLocalDay(at, rule.timezone),
  };
}

/** The error of a fire recorded SKIPPED because the calendar does not cover its day. */
export function unknownDayError(filter: CalendarFireFilter, at: Date): string {
  return `calendar "${filter.calendar}" has no data for ${filter.dayOf(at)}: the fire was skipped (extend it with setCalendarDays or the sync task's ::jobgraph calendar line)`;
}
