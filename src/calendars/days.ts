// Trading-day rules: pure functions over one calendar's data. A day is an ISO date string
// (YYYY-MM-DD). Inside the covered range a day is trading when listed, non-trading otherwise;
// outside it the answer is unknown (null / "unknown"), never a guess.
import type { CalendarDays } from "../generated/prisma/enums.ts";

export interface CalendarData {
  id: number;
  name: string;
  timezone: string;
  coverageFrom: string | null;
  coverageUntil: string | null;
  trading: ReadonlySet<string>;
}

export type DayAnswer = boolean | "unknown";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

export const dayToDate = (day: string) => new Date(`${day}T00:00:00.000Z`);
export const dateToDay = (d: Date) => d.toISOString().slice(0, 10);

export function addDays(day: string, n: number): string {
  const d = dayToDate(day);
  d.setUTCDate(d.getUTCDate() + n);
  return dateToDay(d);
}

/** days from a to b (b - a) */
export const daysBetween = (a: string, b: string) => Math.round((dayToDate(b).getTime() - dayToDate(a).getTime()) / 86_400_000);

/** ISO weekday: 1 = Monday … 7 = Sunday */
export function isoWeekday(day: string): number {
  return ((dayToDate(day).getUTCDay() + 6) % 7) + 1;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The calendar date of an instant in an IANA time zone */
export function localDay(at: Date, timezone: string): string {
  let f = formatters.get(timezone);
  if (!f) formatters.set(timezone, (f = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" })));
  return f.format(at);
}

export function isCovered(cal: CalendarData, day: string): boolean {
  return cal.coverageFrom !== null && cal.coverageUntil !== null && day >= cal.coverageFrom && day <= cal.coverageUntil;
}

/** null outside the covered range */
export function isTradingDay(cal: CalendarData, day: string): boolean | null {
  return isCovered(cal, day) ? cal.trading.has(day) : null;
}

/** The covered trading days in [from, until], oldest first. */
export function tradingDays(cal: CalendarData, from: string, until: string): string[] {
  return [...cal.trading].filter((d) => d >= from && d <= until).sort();
}

/** The first trading day after (step 1) or before (step -1) `day`; null when an unknown day
 *  comes first. */
function stepTradingDay(cal: CalendarData, day: string, step: 1 | -1): string | null {
  for (let d = addDays(day, step); ; d = addDays(d, step)) {
    const t = isTradingDay(cal, d);
    if (t === null) return null;
    if (t) return d;
  }
}

export const nextTradingDay = (cal: CalendarData, after: string) => stepTradingDay(cal, after, 1);
export const previousTradingDay = (cal: CalendarData, before: string) => stepTradingDay(cal, before, -1);

/** `n` trading days after (n > 0) or before (n < 0) `day`; null when that runs into unknown days. */
export function shiftTradingDays(cal: CalendarData, day: string, n: number): string | null {
  let d: string | null = day;
  for (let i = 0; i < Math.abs(n) && d !== null; i++) d = stepTradingDay(cal, d, n > 0 ? 1 : -1);
  return d;
}

/** Is any day in [from, until] trading? "unknown" when one of them is unknown and none is trading. */
function anyTrading(cal: CalendarData, from: string, until: string): DayAnswer {
  let unknown = false;
  for (let d = from; d <= until; d = addDays(d, 1)) {
    const t = isTradingDay(cal, d);
    if (t === true) return true;
    if (t === null) unknown = true;
  }
  return unknown ? "unknown" : false;
}

const monthStart = (day: string) => `${day.slice(0, 8)}01`;
const monthEnd = (day: string) => addDays(`${addDays(monthStart(day), 32).slice(0, 8)}01`, -1);
const weekStart = (day: string) => addDays(day, 1 - isoWeekday(day));
const weekEnd = (day: string) => addDays(day, 7 - isoWeekday(day));

/** Is `day` the matched day itself (no offset) for `days`? */
function matchesRule(cal: CalendarData, days: CalendarDays, day: string): DayAnswer {
  const t = isTradingDay(cal, day);
  if (t === null) return "unknown";
  const none = (a: DayAnswer): DayAnswer => (a === "unknown" ? a : !a);
  switch (days) {
    case "TRADING":
      return t;
    case "NON_TRADING":
      return !t;
    case "FIRST_TRADING_OF_MONTH":
      return t && (day === monthStart(day) || none(anyTrading(cal, monthStart(day), addDays(day, -1))));
    case "LAST_TRADING_OF_MONTH":
      return t && (day === monthEnd(day) || none(anyTrading(cal, addDays(day, 1), monthEnd(day))));
    case "FIRST_TRADING_OF_WEEK":
      return t && (day === weekStart(day) || none(anyTrading(cal, weekStart(day), addDays(day, -1))));
    case "LAST_TRADING_OF_WEEK":
      return t && (day === weekEnd(day) || none(anyTrading(cal, addDays(day, 1), weekEnd(day))));
  }
}

/**
 * Does a schedule with `days` and `offsetDays` run on `day`? With an offset N the run is N
 * trading days after (N > 0) or before (N < 0) the matched day, so `day` must be a trading day
 * whose N-th trading day before (after) it matches. "unknown" when the calendar does not cover
 * what the answer depends on.
 */
export function matches(cal: CalendarData, days: CalendarDays, day: string, offsetDays = 0): DayAnswer {
  if (offsetDays === 0) return matchesRule(cal, days, day);
  const t = isTradingDay(cal, day);
  if (t === null) return "unknown";
  if (!t) return false;
  const matched = shiftTradingDays(cal, day, -offsetDays);
  return matched === null ? "unknown" : matchesRule(cal, days, matched);
}
