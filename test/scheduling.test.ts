// Schedules: fires on time and once, follow task changes at once, respect pauses; misfire
// policies after downtime. Real timers with one-second schedules.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EARLY_TOLERANCE_MS } from "../src/scheduler/fires.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { createTask, sleep, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

const quick = { handler: "demo.sleep", defaults: { ms: 0 } };

async function fires(t: TestApp, taskId: string) {
  const data = await t.ok(
    `query($f: ExecutionFilter) { executions(first: 100, filter: $f) { totalCount edges { node { id status trigger scheduledAt startedAt } } } }`,
    { f: { taskId, trigger: ["SCHEDULE", "CATCH_UP"] } },
    "viewer",
  );
  return data.executions.edges.map((e: any) => e.node).reverse() as { id: string; trigger: string; scheduledAt: string; startedAt: string | null; status: string }[];
}

const taskQuery = `query($id: ID!) { task(id: $id) { enabled paused nextRunAt } }`;

/** how far ahead of its time a fire may be written: the instance's fire lead and the early
 *  tolerance of a due time (src/scheduler/fires.ts), and a little for the timer */
const writtenAheadMs = (t: TestApp) => t.app.config.fireLeadMs + EARLY_TOLERANCE_MS + 100;

/**
 * After a change answered at `at` that stops a task's schedule: 2.5 s later no fire is due
 * later than one written just before the change could be (a fire statement in flight at the
 * change may still land, however slow it is), and — when the change is a pause — none of the
 * fires due after it has begun (those written ahead are SKIPPED when they come due).
 */
async function expectScheduleStopped(t: TestApp, taskId: string, at: number, opts: { paused: boolean }) {
  await sleep(2500);
  const later = (await fires(t, taskId)).filter((f) => Date.parse(f.scheduledAt) > at);
  expect(later.filter((f) => Date.parse(f.scheduledAt) > at + writtenAheadMs(t))).toEqual([]);
  if (opts.paused) expect(later.filter((f) => f.startedAt !== null)).toEqual([]);
}

describe("schedules", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  test("an interval task fires on its anchored grid, once per fire", async () => {
    const task = await createTask(t, { name: "every-second", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 1 } });
    const first = new Date(task.nextRunAt).getTime();
    const runs = await waitFor(async () => {
      const f = await fires(t, task.id);
      return f.length >= 3 && f.slice(0, 3).every((r) => r.status === "SUCCEEDED") ? f : null;
    }, 15_000, "three fires");
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
    const times = runs.map((r) => new Date(r.scheduledAt).getTime());
    expect(times[0]).toBe(first);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    // the next fire may be on record already, PENDING: fires are written ahead of their time
    for (const r of runs.filter((r) => r.startedAt !== null)) {
      expect(r.trigger).toBe("SCHEDULE");
      // a fire may be proposed a little early (timers work in whole seconds) but never starts early
      expect(new Date(r.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(r.scheduledAt).getTime());
    }
  });

  test("a fire is on record ahead of its time, PENDING, and starts at its time, not before", async () => {
    const task = await createTask(t, { name: "written-ahead", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 3 } });
    // caught while it is still in the future: written (the lead is 1 s by default), not started
    const ahead = await waitFor(async () => {
      const f = await fires(t, task.id);
      const next = f.find((r) => new Date(r.scheduledAt).getTime() > Date.now() + 100);
      return next ? { ...next, seenAt: Date.now() } : null;
    }, 15_000, "a fire written ahead");
    expect(ahead.status).toBe("PENDING");
    expect(ahead.startedAt).toBeNull();
    const due = new Date(ahead.scheduledAt).getTime();
    expect(due - ahead.seenAt).toBeLessThanOrEqual(1000 + 100);
    const ran = await waitFor(async () => {
      const r = (await fires(t, task.id)).find((x) => x.scheduledAt === ahead.scheduledAt);
      return r && r.status === "SUCCEEDED" ? r : null;
    }, 15_000, "the fire to run");
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
    expect(new Date(ran.startedAt!).getTime()).toBeGreaterThanOrEqual(due);
  });

  test("a fire on record ahead of its time does not start once its task or the scheduler is paused", async () => {
    const errorOf = `query($id: ID!) { execution(id: $id) { status error startedAt } }`;
    const pendingAhead = async (taskId: string) =>
      waitFor(async () => (await fires(t, taskId)).find((r) => r.status === "PENDING" && new Date(r.scheduledAt).getTime() > Date.now() + 300), 15_000, "a fire written ahead");
    const byTask = await createTask(t, { name: "paused-ahead", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 3 } });
    const first = await pendingAhead(byTask.id);
    await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { paused } }`, { id: byTask.id }, "operator");
    const skipped = await waitFor(async () => {
      const e = (await t.ok(errorOf, { id: first!.id }, "viewer")).execution;
      return e.status !== "PENDING" ? e : null;
    }, 15_000, "the fire to end");
    expect(skipped).toMatchObject({ status: "SKIPPED", startedAt: null, error: expect.stringContaining("was paused before this fire began") });

    const bySchedulerTask = await createTask(t, { name: "scheduler-paused-ahead", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 3 } });
    const second = await pendingAhead(bySchedulerTask.id);
    await t.ok(`mutation { pauseScheduler { paused } }`);
    try {
      const ended = await waitFor(async () => {
        const e = (await t.ok(errorOf, { id: second!.id }, "viewer")).execution;
        return e.status !== "PENDING" ? e : null;
      }, 15_000, "the fire to end");
      expect(ended).toMatchObject({ status: "SKIPPED", startedAt: null, error: expect.stringContaining("scheduler was paused") });
      // a manual run of the same task still runs while the scheduler is paused
      expect((await waitForFinal(t, (await trigger(t, bySchedulerTask.id)).id)).status).toBe("SUCCEEDED");
    } finally {
      await t.ok(`mutation { resumeScheduler { paused } }`);
      await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: bySchedulerTask.id });
    }
  });

  test("a 6-field cron fires every second in its time zone, on whole seconds", async () => {
    const task = await createTask(t, { name: "cron-seconds", kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *", timezone: "Asia/Shanghai" } });
    const runs = await waitFor(async () => {
      const f = await fires(t, task.id);
      return f.length >= 3 ? f : null;
    }, 15_000, "three cron fires");
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
    const times = runs.map((r) => new Date(r.scheduledAt).getTime());
    expect(new Set(times).size).toBe(times.length);
    for (const at of times) expect(at % 1000).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
  });

  test("disable, pause and schedule changes take effect at once, without restart", async () => {
    const task = await createTask(t, { name: "switches", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 1 } });
    await waitFor(async () => (await fires(t, task.id)).length >= 1, 10_000, "a first fire");

    const paused = (await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { paused nextRunAt } }`, { id: task.id }, "operator")).pauseTask;
    expect(paused).toEqual({ paused: true, nextRunAt: null });
    await expectScheduleStopped(t, task.id, Date.now(), { paused: true });
    const whilePaused = (await fires(t, task.id)).length;

    // a paused task still runs once when triggered by hand
    const manual = await trigger(t, task.id);
    expect((await waitForFinal(t, manual.id)).status).toBe("SUCCEEDED");

    const resumed = (await t.ok(`mutation($id: ID!) { resumeTask(id: $id) { paused nextRunAt } }`, { id: task.id }, "operator")).resumeTask;
    expect(resumed.nextRunAt).not.toBeNull();
    await waitFor(async () => (await fires(t, task.id)).length > whilePaused, 10_000, "fires after resume");

    // moving to a schedule that never fires soon stops the one-second fires at once
    const updated = (await t.ok(`mutation($id: ID!) { updateTask(id: $id, input: { schedule: { cron: "0 0 1 1 *" } }) { nextRunAt } }`, { id: task.id })).updateTask;
    expect(new Date(updated.nextRunAt).getUTCMonth()).toBe(0);
    await expectScheduleStopped(t, task.id, Date.now(), { paused: false });
  });

  test("pauseScheduler stops every fire until resumeScheduler; manual runs go on", async () => {
    const task = await createTask(t, { name: "paused-scheduler", kind: "HANDLER", config: quick, schedule: { intervalSeconds: 1 } });
    await waitFor(async () => (await fires(t, task.id)).length >= 1, 10_000, "a first fire");
    const status = (await t.ok(`mutation { pauseScheduler { paused running } }`)).pauseScheduler;
    expect(status).toEqual({ paused: true, running: true });
    await expectScheduleStopped(t, task.id, Date.now(), { paused: true });
    const before = (await fires(t, task.id)).length;
    const manual = await trigger(t, task.id);
    expect((await waitForFinal(t, manual.id)).status).toBe("SUCCEEDED");
    expect((await t.ok(`mutation { resumeScheduler { paused } }`)).resumeScheduler.paused).toBe(false);
    await waitFor(async () => (await fires(t, task.id)).length > before, 10_000, "fires after resumeScheduler");
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
  });

  test("a one-off runAt fires once, then the task has no next run", async () => {
    const runAt = new Date(Date.now() + 1500).toISOString();
    const task = await createTask(t, { name: "one-off", kind: "HANDLER", config: quick, schedule: { runAt } });
    expect(task.nextRunAt).toBe(new Date(runAt).toISOString());
    const [run] = await waitFor(async () => {
      const f = await fires(t, task.id);
      return f.length === 1 && f[0]!.status === "SUCCEEDED" ? f : null;
    }, 10_000, "the one-off fire");
    expect(run!.scheduledAt).toBe(new Date(runAt).toISOString());
    expect((await t.ok(taskQuery, { id: task.id }, "viewer")).task.nextRunAt).toBeNull();
    await sleep(1500);
    expect(await fires(t, task.id)).toHaveLength(1);
  });
});

describe("misfires after downtime", () => {
  for (const [policy, expected] of [["SKIP", 0], ["RUN_ONCE", 1], ["RUN_ALL", 5]] as const) {
    test(`${policy} gives ${expected} catch-up run(s) for five missed daily fires`, async () => {
      const db = await createTestDatabase({ persistent: true });
      const config = { catchUpWindowMs: 10 * 24 * 3600_000 };
      const first = await startTestApp({ db, config });
      const task = await createTask(first, { name: `daily-${policy}`, kind: "HANDLER", config: quick, schedule: { cron: "0 3 * * *" }, misfirePolicy: policy });
      await first.stop();

      // five days of downtime: the last planned fire was five 03:00s ago
      const today3am = new Date();
      today3am.setUTCHours(3, 0, 0, 0);
      if (today3am.getTime() > Date.now()) today3am.setUTCDate(today3am.getUTCDate() - 1);
      const fiveAgo = new Date(today3am.getTime() - 4 * 24 * 3600_000);
      const offline = await startTestApp({ db, config });
      // the engine of `offline` already ran its start-up pass: move the clock back by editing the
      // persisted next fire, as a stopped cluster would have left it, then restart
      await offline.app.db.prisma.task.updateMany({ data: { nextRunAt: fiveAgo } });
      await offline.stop();

      const second = await startTestApp({ db, config });
      try {
        // wait for the misfire pass itself (with SKIP there is no run to wait for): it advances
        // the next fire and writes its audit row in one statement
        const misfires = async () =>
          (await second.ok(`query($id: ID!) { auditEvents(first: 5, taskId: $id, action: "schedule.misfire") { edges { node { actor details } } } }`, { id: task.id }, "viewer")).auditEvents.edges;
        const audit = await waitFor(async () => {
          const edges = await misfires();
          return edges.length ? edges : null;
        }, 10_000, "the misfire pass");
        expect(audit[0].node).toMatchObject({ actor: "system", details: { policy, missed: 5, caughtUp: expected } });
        const runs = await waitFor(async () => {
          const f = await fires(second, task.id);
          return f.length === expected && f.every((r) => r.status === "SUCCEEDED") ? f : null;
        }, 10_000, `${expected} catch-up runs`);
        expect(runs).toHaveLength(expected);
        expect(runs.every((r) => r.trigger === "CATCH_UP")).toBe(true);
        if (policy === "RUN_ONCE") expect(runs[0]!.scheduledAt).toBe(today3am.toISOString());
        if (policy === "RUN_ALL") expect(runs.map((r) => r.scheduledAt)).toEqual([4, 3, 2, 1, 0].map((d) => new Date(today3am.getTime() - d * 24 * 3600_000).toISOString()));
        const next = (await second.ok(taskQuery, { id: task.id }, "viewer")).task.nextRunAt;
        expect(new Date(next).getTime()).toBe(today3am.getTime() + 24 * 3600_000);
      } finally {
        await second.stop();
        await db.drop();
      }
    });
  }
});

describe.runIf(testBackend() === "postgres")("several instances on one database", () => {
  test("two engines produce exactly one execution per fire, and run each execution once", async () => {
    const db = await createTestDatabase();
    const a = await startTestApp({ db });
    const b = await startTestApp({ db });
    try {
      const task = await createTask(a, { name: "shared-cron", kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *" } });
      // b learns of the new task through NOTIFY and arms its own timer: both propose every fire
      const runs = await waitFor(async () => {
        const f = await fires(a, task.id);
        return f.length >= 6 ? f : null;
      }, 20_000, "six fires");
      await a.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
      const times = runs.map((r) => new Date(r.scheduledAt).getTime());
      expect(new Set(times).size).toBe(times.length);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
      const fireAttempts = await a.app.db.prisma.execution.groupBy({ by: ["scheduledAt"], where: { taskId: Number(Buffer.from(task.id, "base64").toString().split(":")[1]) }, _count: { _all: true } });
      expect(fireAttempts.every((g) => g._count._all === 1)).toBe(true);

      // many manual runs, two runners: each claimed and run exactly once
      const burst = await createTask(a, { name: "burst", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 20 } }, overlapPolicy: "ALLOW" });
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => trigger(i % 2 ? a : b, burst.id).then((e) => e.id)));
      const finals = await Promise.all(ids.map((id) => waitForFinal(a, id, 30_000)));
      expect(finals.every((e) => e.status === "SUCCEEDED")).toBe(true);
      const workers = await a.app.db.prisma.execution.groupBy({ by: ["workerId"], where: { trigger: "MANUAL" }, _count: { _all: true } });
      expect(workers.reduce((n, w) => n + w._count._all, 0)).toBe(40);
      const audit = await a.app.db.prisma.auditEvent.count({ where: { action: "execution.sweep" } });
      expect(audit).toBe(0);
      const status = (await a.ok(`{ scheduler { instances } }`, {}, "viewer")).scheduler;
      expect(status.instances).toBe(2);
    } finally {
      await b.stop();
      await a.stop();
      await db.drop();
    }
  });
});
