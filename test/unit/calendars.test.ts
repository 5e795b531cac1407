// Trading-day rules and the calendar day filter of schedules: pure functions, no database.
import { describe, expect, test } from "vitest";
import { addDays, isIsoDate, isTradingDay, localDay, matches, nextTradingDay, previousTradingDay, tradingDays, type CalendarData } from "../../src/calendars/days.ts";
import { calendarFireFilter, endOfLocalDay } from "../../src/calendars/schedule-filter.ts";
import { planFire } from "../../src/scheduler/fires.ts";
import { nextFire, type FireFilter, type Schedule } from "../../src/scheduler/schedule.ts";

/** weekdays of [from, until] minus `holidays` */
function calendar(from: string, until: string, holidays: string[], name = "TEST"): CalendarData {
  const trading = new Set<string>();
  for (let d = from; d <= until; d = addDays(d, 1)) {
    const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (wd !== 0 && wd !== 6 && !holidays.includes(d)) trading.add(d);
  }
  return { id: 1, name, timezone: "Asia/Shanghai", coverageFrom: from, coverageUntil: until, trading };
}

// Q2 2027 with a Labour-day week (Mon 3 - Wed 5 May) and a closed Monday 31 May
const Q2 = calendar("2027-04-01", "2027-06-30", ["2027-05-03", "2027-05-04", "2027-05-05", "2027-05-31"]);

const cronAt = (cron: string, timezone: string): Schedule => ({ cron, intervalSeconds: null, runAt: null, timezone });

/** every fire in [from, until) */
function firesBetween(s: Schedule, from: Date, until: Date, filter?: FireFilter): Date[] {
  const out: Date[] = [];
  for (let t = nextFire(s, new Date(from.getTime() - 1), { filter }); t && t < until; t = nextFire(s, t, { anchor: t, filter })) out.push(t);
  return out;
}

describe("trading days", () => {
  test("dates are strict ISO days", () => {
    expect(isIsoDate("2027-02-28")).toBe(true);
    expect(isIsoDate("2027-02-29")).toBe(false);
    expect(isIsoDate("2027-2-1")).toBe(false);
  });

  test("inside the coverage a day is trading or not; outside it is unknown", () => {
    expect(isTradingDay(Q2, "2027-05-03")).toBe(false);
    expect(isTradingDay(Q2, "2027-05-01")).toBe(false);
    expect(isTradingDay(Q2, "2027-05-06")).toBe(true);
    expect(isTradingDay(Q2, "2027-07-01")).toBeNull();
    expect(isTradingDay(Q2, "2027-03-31")).toBeNull();
  });

  test("next and previous trading day skip holidays and stop at unknown days", () => {
    expect(nextTradingDay(Q2, "2027-04-30")).toBe("2027-05-06");
    expect(previousTradingDay(Q2, "2027-06-01")).toBe("2027-05-28");
    expect(nextTradingDay(Q2, "2027-06-30")).toBeNull();
    expect(previousTradingDay(Q2, "2027-04-01")).toBeNull();
    expect(tradingDays(Q2, "2027-05-01", "2027-05-09")).toEqual(["2027-05-06", "2027-05-07"]);
  });

  test("first and last trading day of a month and week", () => {
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-06")).toBe(true);
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-07")).toBe(false);
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-04-01")).toBe(true);
    expect(matches(Q2, "LAST_TRADING_OF_MONTH", "2027-05-28")).toBe(true);
    expect(matches(Q2, "LAST_TRADING_OF_MONTH", "2027-05-31")).toBe(false);
    expect(matches(Q2, "LAST_TRADING_OF_MONTH", "2027-06-30")).toBe(true);
    expect(matches(Q2, "FIRST_TRADING_OF_WEEK", "2027-05-06")).toBe(true);
    expect(matches(Q2, "FIRST_TRADING_OF_WEEK", "2027-05-10")).toBe(true);
    expect(matches(Q2, "LAST_TRADING_OF_WEEK", "2027-05-07")).toBe(true);
    expect(matches(Q2, "LAST_TRADING_OF_WEEK", "2027-06-03")).toBe(false);
    expect(matches(Q2, "NON_TRADING", "2027-05-03")).toBe(true);
    expect(matches(Q2, "TRADING", "2027-07-02")).toBe("unknown");
  });

  test("offsetDays counts trading days from the matched day, both ways", () => {
    // T+1 of the first trading day of May (Thu 6) is Fri 7
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-07", 1)).toBe(true);
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-06", 1)).toBe(false);
    // T-1 of the first trading day of June (Tue 1) is Fri 28 May (Mon 31 is closed)
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-28", -1)).toBe(true);
    // T-1 of the first of May is the last trading day of April
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-04-30", -1)).toBe(true);
    // T+2 of the last trading day of the week of 3 May (Fri 7) is Tue 11
    expect(matches(Q2, "LAST_TRADING_OF_WEEK", "2027-05-11", 2)).toBe(true);
    // a holiday never runs, whatever the offset
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-05-31", -1)).toBe(false);
  });

  test("answers that depend on days outside the coverage are unknown", () => {
    // is 30 June followed by July's first trading day? July is not covered
    expect(matches(Q2, "FIRST_TRADING_OF_MONTH", "2027-06-30", -1)).toBe("unknown");
    // is 1 April the first trading day of its week (Mon 29 - Wed 31 March unknown)?
    expect(matches(Q2, "FIRST_TRADING_OF_WEEK", "2027-04-01")).toBe("unknown");
    // the last trading day of a partly covered month
    const half = calendar("2027-05-01", "2027-05-15", []);
    expect(matches(half, "LAST_TRADING_OF_MONTH", "2027-05-14")).toBe("unknown");
  });
});

describe("calendar-aware schedules", () => {
  const SH = "Asia/Shanghai";

  test("a 15:30 cron on the calendar fires on exactly its trading days across a month with holidays", () => {
    const s = cronAt("30 15 * * *", SH);
    const filter = calendarFireFilter(Q2, { days: "TRADING", offsetDays: 0, timezone: SH });
    const fires = firesBetween(s, new Date("2027-04-30T16:00:00Z"), new Date("2027-05-31T16:00:00Z"), filter);
    expect(fires.map((f) => localDay(f, SH))).toEqual(tradingDays(Q2, "2027-05-01", "2027-05-31"));
    for (const f of fires) expect(f.toISOString().slice(11)).toBe("07:30:00.000Z");
  });

  test("the cron's own day fields still narrow", () => {
    const s = cronAt("0 9 * * 1", SH); // Mondays
    const filter = calendarFireFilter(Q2, { days: "TRADING", offsetDays: 0, timezone: SH });
    const days = firesBetween(s, new Date("2027-04-30T16:00:00Z"), new Date("2027-06-01T00:00:00Z"), filter).map((f) => localDay(f, SH));
    // Mon 3 May (holiday) and Mon 31 May (closed) drop out
    expect(days).toEqual(["2027-05-10", "2027-05-17", "2027-05-24"]);
  });

  test("FIRST/LAST_TRADING_OF_MONTH and offsets over a quarter", () => {
    const s = cronAt("0 18 * * *", SH);
    const from = new Date("2027-03-31T16:00:00Z");
    const until = new Date("2027-06-30T16:00:00Z");
    const on = (days: "FIRST_TRADING_OF_MONTH" | "LAST_TRADING_OF_MONTH", offsetDays = 0) => {
      const filter = calendarFireFilter(Q2, { days, offsetDays, timezone: SH });
      return firesBetween(s, from, until, filter).map((f) => (filter.check(f) === true ? localDay(f, SH) : `${localDay(f, SH)}?`));
    };
    expect(on("FIRST_TRADING_OF_MONTH")).toEqual(["2027-04-01", "2027-05-06", "2027-06-01"]);
    expect(on("LAST_TRADING_OF_MONTH")).toEqual(["2027-04-30", "2027-05-28", "2027-06-30"]);
    // 1 April: is it T+1 of 31 March? March is not covered, so unknown ("?")
    expect(on("FIRST_TRADING_OF_MONTH", 1)).toEqual(["2027-04-01?", "2027-04-02", "2027-05-07", "2027-06-02"]);
    // T-1 of July's first trading day is unknown: the fire is kept (to be recorded SKIPPED)
    const filter = calendarFireFilter(Q2, { days: "FIRST_TRADING_OF_MONTH", offsetDays: -1, timezone: SH });
    const fires = firesBetween(s, from, until, filter);
    expect(fires.map((f) => [localDay(f, SH), filter.check(f)])).toEqual([
      ["2027-04-30", true],
      ["2027-05-28", true],
      ["2027-06-30", "unknown"],
    ]);
  });

  test("the fire's date is taken in the schedule's time zone, not UTC", () => {
    // 00:30 in Shanghai is 16:30 UTC the day before: Thu 6 May 00:30 CST is 5 May in UTC (a holiday)
    const s = cronAt("30 0 * * *", SH);
    const filter = calendarFireFilter(Q2, { days: "TRADING", offsetDays: 0, timezone: SH });
    expect(nextFire(s, new Date("2027-05-01T00:00:00Z"), { filter })?.toISOString()).toBe("2027-05-05T16:30:00.000Z");
  });

  test("DST days: the day ends at the local midnight, and a skipped local time still fires on its day", () => {
    const BER = "Europe/Berlin";
    // spring forward (Sun 28 March 2027) is 23 hours long, fall back (Sun 31 October) 25
    expect(endOfLocalDay(new Date("2027-03-28T10:00:00Z"), BER).toISOString()).toBe("2027-03-28T21:59:59.999Z");
    expect(endOfLocalDay(new Date("2027-10-31T10:00:00Z"), BER).toISOString()).toBe("2027-10-31T22:59:59.999Z");
    // a calendar open on the DST Sundays only: 02:30 does not exist on 28 March and runs at 03:30
    const sundays: CalendarData = { id: 2, name: "SUN", timezone: BER, coverageFrom: "2027-03-01", coverageUntil: "2027-11-30", trading: new Set(["2027-03-28", "2027-10-31"]) };
    const filter = calendarFireFilter(sundays, { days: "TRADING", offsetDays: 0, timezone: BER });
    const fires = firesBetween(cronAt("30 2 * * *", BER), new Date("2027-03-01T00:00:00Z"), new Date("2027-11-30T00:00:00Z"), filter);
    expect(fires.map((f) => f.toISOString())).toEqual(["2027-03-28T01:30:00.000Z", "2027-10-31T00:30:00.000Z"]);
  });

  test("beyond the coverage the next fire is an unknown day (recorded SKIPPED), never a guess", () => {
    const s = cronAt("30 15 * * *", SH);
    const filter = calendarFireFilter(Q2, { days: "TRADING", offsetDays: 0, timezone: SH });
    const next = nextFire(s, new Date("2027-06-30T08:00:00Z"), { filter })!;
    expect(localDay(next, SH)).toBe("2027-07-01");
    expect(filter.check(next)).toBe("unknown");
  });

  test("misfire catch-up counts only trading-day fires", () => {
    const task = { ...cronAt("30 15 * * *", SH), misfirePolicy: "RUN_ALL" as const };
    const filter = calendarFireFilter(Q2, { days: "TRADING", offsetDays: 0, timezone: SH });
    // down from Fri 30 April to Mon 10 May: missed are 30 Apr, 6 May, 7 May (not the holidays)
    const plan = planFire(task, new Date("2027-04-30T07:30:00Z"), new Date("2027-05-10T01:00:00Z"), {
      catchUpWindowMs: 30 * 86_400_000,
      catchUpMax: 100,
      onTimeGraceMs: 10_000,
      filter,
    })!;
    expect(plan.missed.map((f) => localDay(f, SH))).toEqual(["2027-04-30", "2027-05-06", "2027-05-07"]);
    expect(localDay(plan.next!, SH)).toBe("2027-05-10");
  });
});
