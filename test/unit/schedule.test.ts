// The scheduler's clock logic, with explicit dates: src/scheduler/schedule.ts (when does a
// schedule fire?) and planFire of src/scheduler/fires.ts (what is due, on time or missed, and
// what the misfire policy makes of it). Nothing here waits.
import { describe, expect, test } from "vitest";
import type { MisfirePolicy } from "../../src/generated/prisma/enums.ts";
import { planFire } from "../../src/scheduler/fires.ts";
import {
  checkSchedule,
  cronFor,
  dueFires,
  isValidTimeZone,
  MAX_INTERVAL_SECONDS,
  nextFire,
  ScheduleError,
  type FireFilter,
  type Schedule,
} from "../../src/scheduler/schedule.ts";

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const isos = (ds: Date[]) => ds.map((d) => d.toISOString());

const cron = (expr: string, timezone = "UTC"): Schedule => ({ cron: expr, intervalSeconds: null, runAt: null, timezone });
const every = (seconds: number): Schedule => ({ cron: null, intervalSeconds: seconds, runAt: null, timezone: "UTC" });
const once = (when: string): Schedule => ({ cron: null, intervalSeconds: null, runAt: at(when), timezone: "UTC" });

/** the successive fires after `from` */
function fires(s: Schedule, from: string, n: number): string[] {
  const out: string[] = [];
  let t: Date | null = at(from);
  for (let i = 0; i < n && t; i++) {
    t = nextFire(s, t, { anchor: s.intervalSeconds !== null && i > 0 ? t : null });
    if (t) out.push(t.toISOString());
  }
  return out;
}

function scheduleError(s: Schedule, now = at("2026-06-01T12:00:00Z")): ScheduleError {
  try {
    checkSchedule(s, now);
  } catch (e) {
    expect(e).toBeInstanceOf(ScheduleError);
    return e as ScheduleError;
  }
  throw new Error("checkSchedule accepted the schedule");
}

describe("cron", () => {
  test("5 fields: minute precision, strictly after the given time", () => {
    expect(fires(cron("*/15 * * * *"), "2026-06-01T10:07:30Z", 3)).toEqual([
      "2026-06-01T10:15:00.000Z",
      "2026-06-01T10:30:00.000Z",
      "2026-06-01T10:45:00.000Z",
    ]);
    // exactly on a fire time: the next one, not the same
    expect(iso(nextFire(cron("0 0 * * *"), at("2026-01-01T00:00:00Z")))).toBe("2026-01-02T00:00:00.000Z");
    expect(iso(nextFire(cron("5 0 * * *"), at("2026-01-01T00:00:00Z")))).toBe("2026-01-01T00:05:00.000Z");
  });

  test("6 fields: a leading seconds field", () => {
    expect(fires(cron("*/10 * * * * *"), "2026-01-01T00:00:00.500Z", 3)).toEqual([
      "2026-01-01T00:00:10.000Z",
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:30.000Z",
    ]);
    expect(iso(nextFire(cron("30 0 12 * * *"), at("2026-01-01T00:00:00Z")))).toBe("2026-01-01T12:00:30.000Z");
  });

  test("evaluated in the task's IANA time zone", () => {
    // 09:00 in Shanghai (UTC+8, no DST) is 01:00 UTC
    expect(fires(cron("0 9 * * *", "Asia/Shanghai"), "2026-06-01T12:00:00Z", 2)).toEqual([
      "2026-06-02T01:00:00.000Z",
      "2026-06-03T01:00:00.000Z",
    ]);
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT)
    expect(iso(nextFire(cron("0 9 * * *", "America/New_York"), at("2026-01-10T00:00:00Z")))).toBe("2026-01-10T14:00:00.000Z");
    expect(iso(nextFire(cron("0 9 * * *", "America/New_York"), at("2026-07-10T00:00:00Z")))).toBe("2026-07-10T13:00:00.000Z");
  });

  test("DST spring-forward: a local time in the gap is shifted forward by the gap (02:30 → 03:30 Europe/Berlin)", () => {
    // 2026-03-29 02:00 CET → 03:00 CEST; 03:30 CEST is 01:30 UTC
    expect(fires(cron("30 2 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 2)).toEqual([
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z", // 02:30 CEST again the next day
    ]);
    // hourly across the gap: 01:00 CET, then 03:00 CEST (the skipped 02:00 shifted onto it, once), 04:00 CEST
    expect(fires(cron("0 * * * *", "Europe/Berlin"), "2026-03-28T23:30:00Z", 4)).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T02:00:00.000Z",
      "2026-03-29T03:00:00.000Z",
    ]);
  });

  test("DST fall-back: a local time that occurs twice fires once", () => {
    // 2026-10-25 03:00 CEST → 02:00 CET: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET)
    expect(fires(cron("30 2 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
    // every 30 minutes: the repeated 02:00 and 02:30 (CET) do not fire a second time
    expect(fires(cron("*/30 * * * *", "Europe/Berlin"), "2026-10-24T23:45:00Z", 5)).toEqual([
      "2026-10-25T00:00:00.000Z", // 02:00 CEST
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T02:00:00.000Z", // 03:00 CET
      "2026-10-25T02:30:00.000Z",
      "2026-10-25T03:00:00.000Z",
    ]);
  });
});

describe("interval", () => {
  test("without an anchor the first fire is one interval after the given time", () => {
    expect(iso(nextFire(every(60), at("2026-01-01T00:00:10Z")))).toBe("2026-01-01T00:01:10.000Z");
    expect(iso(nextFire(every(60), at("2026-01-01T00:00:10Z"), { anchor: null }))).toBe("2026-01-01T00:01:10.000Z");
  });

  test("anchored on the previous nominal fire: late wake-ups do not drift the grid", () => {
    const anchor = at("2026-01-01T00:00:00Z");
    // woken 7.5 s late: the next fire stays on the minute grid
    expect(iso(nextFire(every(60), at("2026-01-01T00:00:07.500Z"), { anchor }))).toBe("2026-01-01T00:01:00.000Z");
    // exactly on a grid point: strictly after, so the following one
    expect(iso(nextFire(every(60), at("2026-01-01T00:01:00Z"), { anchor }))).toBe("2026-01-01T00:02:00.000Z");
    // several intervals later (downtime): the first grid point after
    expect(iso(nextFire(every(60), at("2026-01-01T00:05:30Z"), { anchor }))).toBe("2026-01-01T00:06:00.000Z");
    // an anchor still in the future is itself the next fire
    expect(iso(nextFire(every(60), at("2025-12-31T23:59:00Z"), { anchor }))).toBe(anchor.toISOString());
  });
});

describe("runAt", () => {
  test("fires once, strictly after the given time, then never", () => {
    const s = once("2026-05-01T08:00:00Z");
    expect(iso(nextFire(s, at("2026-04-30T00:00:00Z")))).toBe("2026-05-01T08:00:00.000Z");
    expect(nextFire(s, at("2026-05-01T08:00:00Z"))).toBeNull();
    expect(nextFire(s, at("2026-06-01T00:00:00Z"))).toBeNull();
  });

  test("no schedule at all: never", () => {
    expect(nextFire({ cron: null, intervalSeconds: null, runAt: null, timezone: "UTC" }, at("2026-01-01T00:00:00Z"))).toBeNull();
  });
});

describe("checkSchedule", () => {
  const now = at("2026-06-01T12:00:00Z");

  test("valid schedules pass", () => {
    for (const s of [cron("0 3 * * *"), cron("*/5 * * * * *", "Asia/Shanghai"), cron("0 9 * * 1-5", "America/New_York"), every(1), every(MAX_INTERVAL_SECONDS), once("2026-06-01T12:00:01Z")]) {
      expect(() => checkSchedule(s, now)).not.toThrow();
    }
  });

  test("exactly one of cron, intervalSeconds or runAt", () => {
    expect(scheduleError({ cron: null, intervalSeconds: null, runAt: null, timezone: "UTC" }).field).toBe("schedule");
    expect(scheduleError({ cron: "* * * * *", intervalSeconds: 60, runAt: null, timezone: "UTC" }).field).toBe("schedule");
    expect(scheduleError({ cron: null, intervalSeconds: 60, runAt: at("2027-01-01T00:00:00Z"), timezone: "UTC" }).field).toBe("schedule");
  });

  test("cron needs 5 or 6 fields and valid values", () => {
    const four = scheduleError(cron("* * * *"));
    expect(four.field).toBe("cron");
    expect(four.message).toContain("got 4");
    expect(scheduleError(cron("* * * * * * *")).field).toBe("cron");
    const minute = scheduleError(cron("61 * * * *"));
    expect(minute.field).toBe("cron");
    expect(minute.message).toContain("61");
    expect(scheduleError(cron("0 0 31 2 *")).message).toContain("never fires");
    expect(scheduleError(cron("not a cron at all")).field).toBe("cron");
  });

  test("timezone must be an IANA name", () => {
    const e = scheduleError(cron("0 * * * *", "Mars/Olympus"));
    expect(e.field).toBe("timezone");
    expect(e.message).toContain("Mars/Olympus");
    expect(scheduleError({ ...every(60), timezone: "UTC+1" }).field).toBe("timezone");
    expect(isValidTimeZone("Europe/Berlin")).toBe(true);
    expect(isValidTimeZone("")).toBe(false);
  });

  test("intervalSeconds is a whole number from 1 to the maximum", () => {
    for (const bad of [0, -5, 1.5, MAX_INTERVAL_SECONDS + 1]) expect(scheduleError(every(bad)).field).toBe("intervalSeconds");
  });

  test("runAt must be in the future", () => {
    expect(scheduleError(once("2026-06-01T11:00:00Z"), now).field).toBe("runAt");
    expect(scheduleError(once("2026-06-01T12:00:00Z"), now).field).toBe("runAt");
  });
});

describe("dueFires", () => {
  test("lists every nominal fire from nextRunAt up to now, and the next one", () => {
    const d = dueFires(every(60), at("2026-01-01T00:00:00Z"), at("2026-01-01T00:03:30Z"), 100);
    expect(isos(d.fires)).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z", "2026-01-01T00:03:00.000Z"]);
    expect(d.dropped).toBe(0);
    expect(iso(d.next)).toBe("2026-01-01T00:04:00.000Z");
  });

  test("keeps the newest `max` fires and counts the older ones as dropped", () => {
    const d = dueFires(cron("0 * * * *"), at("2026-01-01T00:00:00Z"), at("2026-01-01T09:30:00Z"), 3);
    expect(isos(d.fires)).toEqual(["2026-01-01T07:00:00.000Z", "2026-01-01T08:00:00.000Z", "2026-01-01T09:00:00.000Z"]);
    expect(d.dropped).toBe(7);
    expect(iso(d.next)).toBe("2026-01-01T10:00:00.000Z");
  });
});

describe("planFire", () => {
  const opts = { catchUpWindowMs: 24 * 3600_000, catchUpMax: 100, onTimeGraceMs: 10_000 };
  const task = (s: Schedule, misfirePolicy: MisfirePolicy = "RUN_ONCE") => ({ ...s, misfirePolicy });
  const T = "2026-01-01T00:00:00.000Z";
  const plus = (seconds: number) => new Date(at(T).getTime() + seconds * 1000);

  test("nothing to do before the fire time (beyond the 1 s early tolerance)", () => {
    expect(planFire(task(every(60)), at(T), new Date(at(T).getTime() - 5000), opts)).toBeNull();
  });

  test("a timer that goes off a little early fires the nominal time on time", () => {
    const plan = planFire(task(every(60)), at(T), new Date(at(T).getTime() - 400), opts)!;
    expect(isos(plan.onTime)).toEqual([T]);
    expect(plan.missed).toEqual([]);
    expect(iso(plan.next)).toBe(iso(plus(60)));
  });

  test("on time within the grace: one SCHEDULE fire, next anchored on the grid", () => {
    const plan = planFire(task(every(60)), at(T), plus(3.7), opts)!;
    expect(plan).toEqual({ onTime: [at(T)], missed: [], catchUp: [], dropped: 0, next: plus(60) });
  });

  test("a cron task on time", () => {
    const plan = planFire(task(cron("0 * * * *")), at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:02Z"), opts)!;
    expect(isos(plan.onTime)).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(iso(plan.next)).toBe("2026-01-01T11:00:00.000Z");
  });

  // interval 60 s, the instance was down from T until T+5m30s: fires T … T+300 (6) all missed
  const down = (policy: MisfirePolicy) => planFire(task(every(60), policy), at(T), plus(330), opts)!;
  const missedAll = [0, 60, 120, 180, 240, 300].map((s) => iso(plus(s)));

  test("misfire SKIP: nothing is caught up, every missed fire is dropped", () => {
    const plan = down("SKIP");
    expect(plan.onTime).toEqual([]);
    expect(isos(plan.missed)).toEqual(missedAll);
    expect(plan.catchUp).toEqual([]);
    expect(plan.dropped).toBe(6);
    expect(iso(plan.next)).toBe(iso(plus(360)));
  });

  test("misfire RUN_ONCE: only the newest missed fire is caught up", () => {
    const plan = down("RUN_ONCE");
    expect(isos(plan.catchUp)).toEqual([iso(plus(300))]);
    expect(plan.dropped).toBe(5);
    expect(iso(plan.next)).toBe(iso(plus(360)));
  });

  test("misfire RUN_ALL: every missed fire is caught up, oldest first", () => {
    const plan = down("RUN_ALL");
    expect(isos(plan.catchUp)).toEqual(missedAll);
    expect(plan.dropped).toBe(0);
    expect(iso(plan.next)).toBe(iso(plus(360)));
  });

  test("a fire due now is on time while older ones are missed", () => {
    // cron hourly, down from 10:00 to 13:00:05: 13:00 is 5 s late (on time), 10-12 are missed
    const plan = planFire(task(cron("0 * * * *"), "RUN_ONCE"), at("2026-01-01T10:00:00Z"), at("2026-01-01T13:00:05Z"), opts)!;
    expect(isos(plan.onTime)).toEqual(["2026-01-01T13:00:00.000Z"]);
    expect(isos(plan.missed)).toEqual(["2026-01-01T10:00:00.000Z", "2026-01-01T11:00:00.000Z", "2026-01-01T12:00:00.000Z"]);
    expect(isos(plan.catchUp)).toEqual(["2026-01-01T12:00:00.000Z"]);
    expect(plan.dropped).toBe(2);
    expect(iso(plan.next)).toBe("2026-01-01T14:00:00.000Z");
  });

  test("catch-up window: fires older than the window are not listed (dropped = -1)", () => {
    // window 2 min, interval 60 s, down from T until T+10m: only T+8m, T+9m (missed) and T+10m (on time) count
    const plan = planFire(task(every(60), "RUN_ALL"), at(T), plus(600), { ...opts, catchUpWindowMs: 120_000 })!;
    expect(isos(plan.onTime)).toEqual([iso(plus(600))]);
    expect(isos(plan.missed)).toEqual([iso(plus(480)), iso(plus(540))]);
    expect(isos(plan.catchUp)).toEqual([iso(plus(480)), iso(plus(540))]);
    expect(plan.dropped).toBe(-1);
    expect(iso(plan.next)).toBe(iso(plus(660)));
  });

  test("catch-up cap: RUN_ALL runs at most catchUpMax missed fires, the newest", () => {
    // interval 60 s, down from T to T+9m30s: 10 missed fires, cap 3
    const plan = planFire(task(every(60), "RUN_ALL"), at(T), plus(570), { ...opts, catchUpMax: 3 })!;
    expect(plan.onTime).toEqual([]);
    expect(isos(plan.catchUp)).toEqual([iso(plus(420)), iso(plus(480)), iso(plus(540))]);
    // 10 missed in all: 3 caught up, 7 dropped
    expect(plan.dropped).toBe(7);
    expect(iso(plan.next)).toBe(iso(plus(600)));
  });

  test("runAt on time fires once and leaves no next fire", () => {
    const plan = planFire(task(once("2026-05-01T08:00:00Z")), at("2026-05-01T08:00:00Z"), at("2026-05-01T08:00:01Z"), opts)!;
    expect(isos(plan.onTime)).toEqual(["2026-05-01T08:00:00.000Z"]);
    expect(plan.next).toBeNull();
  });

  test("runAt missed: RUN_ONCE catches it up, SKIP drops it", () => {
    const when = "2026-05-01T08:00:00Z";
    const later = at("2026-05-01T09:00:00Z");
    const runOnce = planFire(task(once(when), "RUN_ONCE"), at(when), later, opts)!;
    expect(isos(runOnce.catchUp)).toEqual(["2026-05-01T08:00:00.000Z"]);
    expect(runOnce.next).toBeNull();
    const skip = planFire(task(once(when), "SKIP"), at(when), later, opts)!;
    expect(skip.catchUp).toEqual([]);
    expect(skip.dropped).toBe(1);
    expect(skip.next).toBeNull();
  });

  test("runAt missed by more than the window: nothing runs, nothing next", () => {
    const plan = planFire(task(once("2026-05-01T08:00:00Z"), "RUN_ALL"), at("2026-05-01T08:00:00Z"), at("2026-05-03T08:00:00Z"), opts)!;
    expect(plan.onTime).toEqual([]);
    expect(plan.catchUp).toEqual([]);
    expect(plan.dropped).toBe(-1);
    expect(plan.next).toBeNull();
  });
});

describe("nextFire with a day filter (the calendar hook)", () => {
  /** a filter on the days of a fixed-offset zone (hours east of UTC): `open` decides each day */
  const dayFilter = (open: (weekday: number) => boolean | "unknown", offsetHours = 0, onCheck = () => {}): FireFilter => {
    const shift = offsetHours * 3600_000;
    return {
      check(t) {
        onCheck();
        return open(new Date(t.getTime() + shift).getUTCDay());
      },
      endOfDay(t) {
        const local = new Date(t.getTime() + shift);
        return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1) - shift - 1);
      },
    };
  };
  const weekdays = dayFilter((d) => d !== 0 && d !== 6);

  test("a cron skips dropped days whole", () => {
    // Friday 2026-01-02 23:30 UTC, hourly: the next accepted fire is Monday 00:00
    expect(iso(nextFire(cron("0 * * * *"), at("2026-01-02T23:30:00Z"), { filter: weekdays }))).toBe("2026-01-05T00:00:00.000Z");
    // an every-second cron over a weekend: one check per day, not 172,800
    let checks = 0;
    const counted = dayFilter((d) => d !== 0 && d !== 6, 0, () => checks++);
    expect(iso(nextFire(cron("* * * * * *"), at("2026-01-03T00:00:00Z"), { filter: counted }))).toBe("2026-01-05T00:00:00.000Z");
    expect(checks).toBe(3);
  });

  test("days are the filter's days (here Shanghai's, UTC+8)", () => {
    // 09:00 Shanghai on Monday 2026-01-05 is 01:00 UTC that day; Sunday the 4th is dropped
    const s = cron("0 9 * * *", "Asia/Shanghai");
    expect(iso(nextFire(s, at("2026-01-03T02:00:00Z"), { filter: dayFilter((d) => d !== 0 && d !== 6, 8) }))).toBe("2026-01-05T01:00:00.000Z");
    expect(iso(nextFire(s, at("2026-01-03T02:00:00Z")))).toBe("2026-01-04T01:00:00.000Z");
  });

  test("an unknown day is kept (the fire path records it as SKIPPED)", () => {
    const unknownSaturday = dayFilter((d) => (d === 6 ? "unknown" : d !== 0));
    expect(iso(nextFire(cron("0 12 * * *"), at("2026-01-02T13:00:00Z"), { filter: unknownSaturday }))).toBe("2026-01-03T12:00:00.000Z");
  });

  test("intervals stay on their grid across dropped days", () => {
    const anchor = at("2026-01-02T00:00:00Z");
    expect(iso(nextFire(every(7200), at("2026-01-02T23:00:00Z"), { anchor, filter: weekdays }))).toBe("2026-01-05T00:00:00.000Z");
  });

  test("a one-off on a dropped day never fires; a filter dropping everything gives null", () => {
    expect(nextFire(once("2026-01-03T08:00:00Z"), at("2026-01-01T00:00:00Z"), { filter: weekdays })).toBeNull();
    expect(nextFire(cron("0 3 * * *"), at("2026-01-01T00:00:00Z"), { filter: dayFilter(() => false) })).toBeNull();
  });

  test("dueFires and planFire pass the filter on", () => {
    const d = dueFires(cron("0 0 * * *"), at("2026-01-01T00:00:00Z"), at("2026-01-06T12:00:00Z"), 100, weekdays);
    expect(isos(d.fires)).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-01-05T00:00:00.000Z", "2026-01-06T00:00:00.000Z"]);
    expect(iso(d.next)).toBe("2026-01-07T00:00:00.000Z");
    const plan = planFire({ ...cron("0 0 * * *"), misfirePolicy: "RUN_ALL" }, at("2026-01-02T00:00:00Z"), at("2026-01-02T00:00:01Z"), {
      catchUpWindowMs: 24 * 3600_000, catchUpMax: 100, onTimeGraceMs: 10_000, filter: weekdays,
    })!;
    expect(iso(plan.next)).toBe("2026-01-05T00:00:00.000Z");
  });
});

describe("nextFire's fixed-offset shortcut", () => {
  test("agrees with croner's zone-aware answer, across DST changes too", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Shanghai", "America/Sao_Paulo"];
    const patterns = ["*/15 * * * *", "30 2 * * *", "0 * * * *", "*/20 * * * * *", "0 9 * * 1-5", "0 0 1 * *"];
    // instants all over the year and around each zone's 2026 transitions
    const instants: Date[] = [];
    for (let i = 0; i < 40; i++) instants.push(new Date(Date.UTC(2026, 0, 1) + i * 9.1 * 24 * 3600_000 + i * 3_600_123));
    for (const t of ["2026-03-08T06:30:00Z", "2026-03-29T00:59:59Z", "2026-04-05T01:45:00Z", "2026-10-04T01:50:00Z", "2026-10-25T00:30:00Z", "2026-11-01T05:59:00Z"]) {
      for (let d = -3; d <= 3; d++) instants.push(new Date(at(t).getTime() + d * 1800_000));
    }
    let compared = 0;
    let croneredBackwards = 0;
    for (const tz of zones) {
      for (const expr of patterns) {
        const reference = cronFor(expr, tz);
        for (const after of instants) {
          const expected = reference.nextRun(after);
          const got = nextFire(cron(expr, tz), after);
          expect(got!.getTime()).toBeGreaterThan(after.getTime());
          // asked from inside a fall-back's repeated hour, croner answers a time in the past; the
          // shortcut's answer (the next wall-clock match at the current offset) stands then
          if (expected!.getTime() <= after.getTime()) {
            croneredBackwards++;
            continue;
          }
          expect(iso(got), `${expr} in ${tz} after ${after.toISOString()}`).toBe(iso(expected));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0.95 * zones.length * patterns.length * instants.length);
    expect(croneredBackwards).toBeLessThan(20);
  });
});
