// Trading calendars end to end: the API (validation, atomic ranges, coverage, audit, delete
// guarded by its tasks), calendar-aware schedules with real timers, unknown days skipped and
// alerted, and a calendar fed by a real COMMAND run's protocol line.
import path from "node:path";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "../src/app.ts";
import { addDays } from "../src/calendars/days.ts";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { startReceiver, verifySignature, type Receiver } from "./helpers/receiver.ts";
import { scriptFolder } from "./helpers/scripts.ts";

const CAL = `id name description timezone coverageFrom coverageUntil`;
const rowId = (globalId: string) => Number(decodeGlobalID(globalId).id);
const today = () => new Date().toISOString().slice(0, 10);
const quick = { handler: "demo.sleep", defaults: { ms: 0 } };

async function setDays(t: TestApp, name: string, from: string, until: string, tradingDays: string[]) {
  return t.gql(`mutation($n: String!, $f: Date!, $u: Date!, $d: [Date!]!) { setCalendarDays(name: $n, from: $f, until: $u, tradingDays: $d) { ${CAL} } }`, { n: name, f: from, u: until, d: tradingDays });
}

describe("calendars", () => {
  let t: TestApp;
  let receiver: Receiver;
  const SECRET = "calendar-alert-secret";

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp({ config: { alertRetryBaseMs: 200 } });
    await t.ok(`mutation($u: String!, $s: String!) { createAlertChannel(input: { name: "gaps", kind: WEBHOOK, url: $u, secret: $s, events: [CALENDAR_GAP] }) { id } }`, { u: receiver.url, s: SECRET });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  test("create, set days atomically, extend coverage, query days; bad input changes nothing", async () => {
    const created = (await t.ok(`mutation { createCalendar(input: { name: "XSHG", timezone: "Asia/Shanghai", description: "test" }) { ${CAL} } }`)).createCalendar;
    expect(created).toMatchObject({ name: "XSHG", timezone: "Asia/Shanghai", coverageFrom: null, coverageUntil: null });
    const badTz = await t.gql(`mutation { createCalendar(input: { name: "X2", timezone: "Mars/Base" }) { id } }`);
    expect(badTz.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "input.timezone" });
    const dup = await t.gql(`mutation { createCalendar(input: { name: "XSHG" }) { id } }`);
    expect(dup.errors?.[0]?.extensions?.code).toBe("CONFLICT");

    // May 2027: weekdays minus 3-5 May
    const may = ["2027-05-06", "2027-05-07", "2027-05-10", "2027-05-11", "2027-05-12", "2027-05-13", "2027-05-14"];
    expect((await setDays(t, "XSHG", "2027-05-01", "2027-05-16", may)).data.setCalendarDays).toMatchObject({ coverageFrom: "2027-05-01", coverageUntil: "2027-05-16" });
    // an adjacent range extends the coverage; a range replaces what it covers
    await setDays(t, "XSHG", "2027-05-17", "2027-05-31", ["2027-05-17", "2027-05-18"]);
    const replaced = await setDays(t, "XSHG", "2027-05-10", "2027-05-14", ["2027-05-12"]);
    expect(replaced.data.setCalendarDays).toMatchObject({ coverageFrom: "2027-05-01", coverageUntil: "2027-05-31" });

    const bad = [
      [await setDays(t, "XSHG", "2027-07-01", "2027-07-31", []), "from"], // would leave June unknown inside the coverage
      [await setDays(t, "XSHG", "2027-06-01", "2027-06-30", ["2027-07-01"]), "tradingDays"],
      [await setDays(t, "XSHG", "2027-06-30", "2027-06-01", []), "until"],
    ] as const;
    for (const [r, field] of bad) expect(r.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field });
    const malformed = await t.gql(`mutation { setCalendarDays(name: "XSHG", from: "2027-02-30", until: "2027-03-01", tradingDays: []) { id } }`);
    expect(malformed.errors?.[0]?.extensions?.code).toMatch(/VALIDATION|BAD_USER_INPUT/);
    const missing = await setDays(t, "NOPE", "2027-01-01", "2027-01-02", []);
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const q = await t.ok(`{ calendar(name: "XSHG") { coverageUntil
      holiday: isTradingDay(date: "2027-05-04") open: isTradingDay(date: "2027-05-06") unknown: isTradingDay(date: "2027-06-01")
      tradingDays(from: "2027-05-01", until: "2027-05-20")
      nextTradingDay(after: "2027-04-30") afterLast: nextTradingDay(after: "2027-05-18") previousTradingDay(before: "2027-05-12") } }`, {}, "viewer");
    expect(q.calendar).toEqual({
      coverageUntil: "2027-05-31",
      holiday: false,
      open: true,
      unknown: null,
      tradingDays: ["2027-05-06", "2027-05-07", "2027-05-12", "2027-05-17", "2027-05-18"],
      nextTradingDay: "2027-05-06",
      afterLast: null,
      previousTradingDay: "2027-05-07",
    });
    const audit = await t.ok(`{ auditEvents(first: 20, action: "calendar.setDays") { edges { node { ok actor } } } }`, {}, "viewer");
    // newest first: NOT_FOUND and the three refused ranges, then the three applied ones (the
    // malformed date never reached the resolver)
    expect(audit.auditEvents.edges.map((e: any) => e.node.ok)).toEqual([false, false, false, false, true, true, true]);
    expect((await t.gql(`mutation { createCalendar(input: { name: "NOPE2" }) { id } }`, {}, "operator")).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  test("schedules on a calendar: validated, shown, previewed; a used calendar cannot be deleted", async () => {
    const input = (schedule: Record<string, unknown>) => ({ name: "on-xshg", kind: "HANDLER", config: quick, schedule });
    const errors = [
      [input({ cron: "30 15 * * *", calendar: "MISSING" }), "input.schedule.calendar"],
      [input({ cron: "30 15 * * *", calendar: "XSHG", days: "TRADING", offsetDays: 1 }), "input.schedule.offsetDays"],
      [input({ cron: "30 15 * * *", days: "TRADING" }), "input.schedule.days"],
      [input({ runAt: new Date(Date.now() + 3600_000).toISOString(), calendar: "XSHG" }), "input.schedule.calendar"],
      [input({ cron: "30 15 * * *", calendar: "XSHG", days: "FIRST_TRADING_OF_MONTH", offsetDays: 99 }), "input.schedule.offsetDays"],
    ] as const;
    for (const [i, field] of errors) {
      const r = await t.gql(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, { input: i });
      expect(r.errors?.[0]?.extensions, field).toMatchObject({ code: "VALIDATION", field });
    }
    expect(await t.app.db.prisma.task.count({ where: { name: "on-xshg" } })).toBe(0);
    const task = await createTask(t, input({ cron: "0 18 * * *", timezone: "Asia/Shanghai", calendar: "XSHG", days: "LAST_TRADING_OF_WEEK", offsetDays: -1 }));
    const shown = await t.ok(`query($id: ID!) { task(id: $id) { schedule { cron timezone calendar days offsetDays } upcomingFires(first: 3) } }`, { id: task.id }, "viewer");
    expect(shown.task.schedule).toEqual({ cron: "0 18 * * *", timezone: "Asia/Shanghai", calendar: "XSHG", days: "LAST_TRADING_OF_WEEK", offsetDays: -1 });
    const del = await t.gql(`mutation { deleteCalendar(name: "XSHG") }`);
    expect(del.errors?.[0]).toMatchObject({ extensions: { code: "CONFLICT" } });
    expect(del.errors?.[0]?.message).toContain("on-xshg");
    await t.ok(`mutation($id: ID!) { deleteTask(id: $id) }`, { id: task.id });
  });

  test("a cron every second on a calendar fires on trading days only, and follows the calendar when it changes", async () => {
    const day = today();
    await t.ok(`mutation { createCalendar(input: { name: "LIVE" }) { id } }`);
    // today trading, the next two days closed; later days unknown
    await setDays(t, "LIVE", day, addDays(day, 2), [day]);
    const on = await createTask(t, { name: "live-trading", kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *", calendar: "LIVE" } });
    const off = await createTask(t, { name: "live-closed", kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *", calendar: "LIVE", days: "NON_TRADING" } });
    expect(off.nextRunAt).toBe(`${addDays(day, 1)}T00:00:00.000Z`);
    const runs = async (id: string) => (await t.app.db.prisma.execution.findMany({ where: { taskId: rowId(id) }, orderBy: { id: "asc" } }));
    await waitFor(async () => (await runs(on.id)).filter((r) => r.status === "SUCCEEDED").length >= 2, 15_000, "trading-day fires");
    expect(await runs(off.id)).toEqual([]);

    // today becomes a holiday: the closed-days task starts at once, the other waits for coverage
    await setDays(t, "LIVE", day, day, []);
    await waitFor(async () => (await runs(off.id)).filter((r) => r.status === "SUCCEEDED").length >= 1, 15_000, "the non-trading task to fire");
    const after = await t.ok(`query($id: ID!) { task(id: $id) { nextRunAt upcomingFires(first: 2) } }`, { id: on.id }, "viewer");
    expect(after.task.nextRunAt).toBe(`${addDays(day, 3)}T00:00:00.000Z`);
    expect(after.task.upcomingFires).toEqual([`${addDays(day, 3)}T00:00:00.000Z`, `${addDays(day, 3)}T00:00:01.000Z`]);
    const before = (await runs(on.id)).length;
    await t.ok(`mutation($a: ID!, $b: ID!) { a: disableTask(id: $a) { id } b: disableTask(id: $b) { id } }`, { a: on.id, b: off.id });
    // nothing on the trading task after the change but fires already due
    expect((await runs(on.id)).length).toBeLessThanOrEqual(before + 1);
  });

  test("a fire on a day the calendar does not cover is recorded SKIPPED and raises CALENDAR_GAP, also a week ahead", async () => {
    const day = today();
    await t.ok(`mutation { createCalendar(input: { name: "SHORT" }) { id } }`);
    await setDays(t, "SHORT", addDays(day, -10), addDays(day, -1), [addDays(day, -1)]);
    const task = await createTask(t, { name: "gap", kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *", calendar: "SHORT" } });
    const skipped = await waitFor(async () => {
      const rows = await t.app.db.prisma.execution.findMany({ where: { taskId: rowId(task.id) } });
      return rows.length >= 2 ? rows : null;
    }, 15_000, "skipped fires");
    for (const r of skipped) {
      expect(r.status).toBe("SKIPPED");
      expect(r.error).toContain(`calendar "SHORT" has no data for ${day}`);
      expect(r.startedAt).toBeNull();
    }
    const alerts = await waitFor(async () => {
      const got = receiver.accepted().filter((r) => r.json.details?.calendar === "SHORT");
      return got.length >= 2 ? got : null;
    }, 15_000, "two CALENDAR_GAP alerts");
    // (the week-ahead check looks at calendars that enabled tasks run on)
    await t.ok(`mutation($a: ID!) { disableTask(id: $a) { id } }`, { a: task.id });
    for (const r of alerts) expect(verifySignature(SECRET, r.headers, r.body)).toBe(true);
    const fire = alerts.find((r) => r.json.details.date)!;
    expect(fire.json).toMatchObject({ event: "CALENDAR_GAP", task: { name: "gap" }, details: { date: day, status: "SKIPPED" } });
    const ahead = alerts.find((r) => r.json.details.coverageUntil)!;
    expect(ahead.json.details).toMatchObject({ coverageUntil: addDays(day, -1), tasks: ["gap"] });
    // one row per cause, however many fires and checks noticed it
    expect(await t.app.db.prisma.outbox.count({ where: { event: "CALENDAR_GAP", key: { startsWith: "CALENDAR_GAP:SHORT:" } } })).toBe(2);
  });

  test("a COMMAND run feeds the calendar with its protocol line; a bad line fails the run and changes nothing", async () => {
    await t.ok(`mutation { createCalendar(input: { name: "FED", timezone: "Asia/Shanghai" }) { id } }`);
    const sync = await createTask(t, {
      name: "sync_calendar",
      kind: "COMMAND",
      config: { command: process.execPath, args: [path.join(ROOT, "examples", "sync_trading_calendar.mjs")], defaults: { name: "FED", from: "2027-01-01", until: "2027-12-31", delayMs: 0 } },
    });
    const run = await waitForFinal(t, (await trigger(t, sync.id)).id, 30_000);
    expect(run.status).toBe("SUCCEEDED");
    expect(run.result).toMatchObject({ name: "FED", sampleData: true });
    const fed = await t.ok(`{ calendar(name: "FED") { coverageFrom coverageUntil newYear: isTradingDay(date: "2027-01-01") monday: isTradingDay(date: "2027-01-04") nationalDay: isTradingDay(date: "2027-10-04")
      tradingDays(from: "2027-01-01", until: "2027-12-31") } }`, {}, "viewer");
    expect(fed.calendar).toMatchObject({ coverageFrom: "2027-01-01", coverageUntil: "2027-12-31", newYear: false, monday: true, nationalDay: false });
    expect(fed.calendar.tradingDays).toHaveLength(run.result.tradingDays);
    const applied = await t.ok(`{ auditEvents(first: 1, action: "calendar.setDays", actor: "system") { edges { node { execution { id } details } } } }`, {}, "viewer");
    expect(applied.auditEvents.edges[0].node).toMatchObject({ execution: { id: run.id }, details: { name: "FED" } });

    const scripts = scriptFolder("jobgraph-calendar-");
    try {
      const bad = scripts.write("bad.mjs", `console.log('::jobgraph ' + JSON.stringify({ calendar: { name: "FED", from: "2028-01-01", until: "2028-01-31", tradingDays: ["2028-01-03", "20280104"] } }));`);
      const outside = scripts.write("outside.mjs", `console.log('::jobgraph ' + JSON.stringify({ calendar: { name: "FED", from: "2028-01-01", until: "2028-01-31", tradingDays: ["2028-02-01"] } }));`);
      for (const [file, message] of [[bad, /invalid ::jobgraph calendar line: tradingDays.1: must be a date YYYY-MM-DD/], [outside, /calendar line not applied: tradingDays: 2028-02-01 is outside 2028-01-01..2028-01-31/]] as const) {
        const task = await createTask(t, { name: `bad-${path.basename(file, ".mjs")}`, kind: "COMMAND", config: { command: process.execPath, args: [file] } });
        const failed = await waitForFinal(t, (await trigger(t, task.id)).id, 30_000);
        expect(failed.status).toBe("FAILED");
        expect(failed.error).toMatch(message);
      }
      const unchanged = await t.ok(`{ calendar(name: "FED") { coverageUntil } }`, {}, "viewer");
      expect(unchanged.calendar.coverageUntil).toBe("2027-12-31");
    } finally {
      scripts.remove();
    }
  });

  test("a backfill on a calendar creates runs on its trading days only (not on holidays, weekends or unknown days)", async () => {
    await t.ok(`mutation { createCalendar(input: { name: "BF", timezone: "UTC" }) { id } }`);
    // Mon 8 – Fri 12 June 2026 covered, the 10th a holiday; the weekend after is not covered at all
    await setDays(t, "BF", "2026-06-08", "2026-06-12", ["2026-06-08", "2026-06-09", "2026-06-11", "2026-06-12"]);
    const task = await createTask(t, { name: "bf-close", kind: "HANDLER", config: quick, schedule: { cron: "0 30 15 * * *", timezone: "UTC", calendar: "BF" } });
    const r = await t.ok(
      `mutation($id: ID!, $f: DateTime!, $u: DateTime!) { backfillTask(id: $id, from: $f, until: $u) { created skipped executions { trigger scheduledAt } } }`,
      { id: task.id, f: "2026-06-07T00:00:00Z", u: "2026-06-15T00:00:00Z" },
      "operator",
    );
    expect(r.backfillTask.created).toBe(4);
    expect(r.backfillTask.executions.map((e: { scheduledAt: string }) => e.scheduledAt)).toEqual(
      ["2026-06-08", "2026-06-09", "2026-06-11", "2026-06-12"].map((d) => `${d}T15:30:00.000Z`),
    );
  });
});

test("the demo fills the sample XSHG calendar from its sync script and schedules on its trading days", async () => {
  const t = await startTestApp({ config: { demo: true } });
  try {
    const cal = await waitFor(async () => {
      const data = await t.ok(`{ calendar(name: "XSHG") { description coverageFrom coverageUntil tasks { name } } }`, {}, "viewer");
      return data.calendar.coverageUntil ? data.calendar : null;
    }, 60_000, "the sample calendar");
    expect(cal.description).toContain("SAMPLE DATA");
    expect(cal.tasks.map((x: any) => x.name)).toEqual(["nightly_sync", "sync_stock_list"]);
    const task = await waitFor(async () => {
      const data = await t.ok(`{ task(name: "sync_stock_list") { nextRunAt schedule { calendar days } } }`, {}, "viewer");
      const next = data.task.nextRunAt;
      // planned again on the filled calendar: a trading day (in Shanghai) inside the coverage
      if (!next) return null;
      const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date(next));
      const open = await t.ok(`query($d: Date!) { calendar(name: "XSHG") { isTradingDay(date: $d) } }`, { d: day }, "viewer");
      return open.calendar.isTradingDay === true ? data.task : null;
    }, 30_000, "the stock list planned on a trading day");
    expect(task.schedule).toEqual({ calendar: "XSHG", days: "TRADING" });
  } finally {
    await t.stop();
  }
}, 120_000);

