// The set-based fire path: the fire statement itself (fenced, once per fire, SKIPPED fires), what
// the schedule costs the database (nothing while nothing is due; one statement per tick for all
// due tasks, counted at the driver), and several instances sharing the fires of many tasks.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrateDatabase } from "../src/app.ts";
import { openDatabase } from "../src/db/database.ts";
import { createLogger } from "../src/logging/logger.ts";
import type { CalendarFireFilter } from "../src/calendars/schedule-filter.ts";
import { Fires } from "../src/scheduler/fires.ts";
import { FIRE_STATEMENT_TAG, recordFires, type TaskAdvance } from "../src/executions/state/fires.ts";
import type { PrismaClient } from "../src/generated/prisma/client.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { recordStatements, type StatementLog } from "./helpers/statements.ts";
import { createTask, sleep, startTestApp, waitFor, type TestApp } from "./helpers/app.ts";

const quick = { handler: "demo.sleep", defaults: { ms: 0 } };
const dbId = (globalId: string) => Number(Buffer.from(globalId, "base64").toString().split(":")[1]);

async function schedulesOf(prisma: PrismaClient, taskIds: number[]) {
  return prisma.execution.findMany({
    where: { taskId: { in: taskIds }, trigger: { in: ["SCHEDULE", "CATCH_UP"] } },
    orderBy: [{ taskId: "asc" }, { scheduledAt: "asc" }],
    select: { taskId: true, scheduledAt: true, status: true },
  });
}

describe("the fire statement", () => {
  let t: TestApp;
  let prisma: PrismaClient;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = t.app.db.prisma;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** a task whose own schedule is far away (the engine leaves it alone): the test fires it by hand */
  async function yearly(name: string) {
    const task = await createTask(t, { name, kind: "HANDLER", config: quick, schedule: { cron: "0 0 1 1 *" } });
    return prisma.task.findUniqueOrThrow({ where: { id: dbId(task.id) } });
  }
  const advance = (task: { id: number; nextRunAt: Date | null; updatedAt: Date }, fires: TaskAdvance["fires"], nextRunAt: Date | null): TaskAdvance => ({
    taskId: task.id,
    expectedNextRunAt: task.nextRunAt!,
    expectedUpdatedAt: task.updatedAt,
    nextRunAt,
    fires,
  });

  test("inserts the fires and advances nextRunAt in one go; the same proposal again changes nothing", async () => {
    const a = await yearly("stmt-a");
    const b = await yearly("stmt-b");
    const at = new Date(Date.now() + 3600_000);
    const next = new Date(at.getTime() + 60_000);
    const proposal = [a, b].map((task) => advance(task, [{ scheduledAt: at, trigger: "SCHEDULE", runAfter: at }], next));
    const first = await recordFires(t.app.db.sql, proposal, new Date());
    expect([...first.advanced].sort()).toEqual([a.id, b.id].sort());
    expect(first.created.map((r) => [r.taskId, r.status, r.scheduledAt.toISOString()])).toEqual(
      [a, b].map((task) => [task.id, "PENDING", at.toISOString()]),
    );
    const rows = await prisma.task.findMany({ where: { id: { in: [a.id, b.id] } } });
    expect(rows.map((r) => r.nextRunAt?.toISOString())).toEqual([next.toISOString(), next.toISOString()]);

    // another instance proposing the same tick from the same (now stale) view: fenced out
    const again = await recordFires(t.app.db.sql, proposal, new Date());
    expect(again).toEqual({ advanced: new Set(), busy: new Set(), created: [] });
    expect(await schedulesOf(prisma, [a.id, b.id])).toHaveLength(2);
  });

  test("a fire slot already taken is not inserted twice, and the task still advances", async () => {
    const task = await yearly("stmt-taken");
    const at = new Date(Date.now() + 3600_000);
    await prisma.execution.create({ data: { taskId: task.id, trigger: "SCHEDULE", scheduledAt: at, runAfter: at } });
    const fresh = await prisma.task.findUniqueOrThrow({ where: { id: task.id } });
    const result = await recordFires(t.app.db.sql, [advance(fresh, [{ scheduledAt: at, trigger: "CATCH_UP", runAfter: new Date() }], new Date(at.getTime() + 1000))], new Date());
    expect(result.advanced).toEqual(new Set([task.id]));
    expect(result.created).toEqual([]);
    expect(await schedulesOf(prisma, [task.id])).toHaveLength(1);
  });

  test("a fire recorded as SKIPPED keeps its slot, says why, and never runs", async () => {
    const task = await yearly("stmt-skipped");
    const at = new Date(Date.now() - 1000);
    const result = await recordFires(t.app.db.sql, [advance(task, [{ scheduledAt: at, trigger: "SCHEDULE", runAfter: at, skipped: "skipped: the calendar is closed that day" }], task.nextRunAt)], new Date());
    expect(result.created).toHaveLength(1);
    expect(result.created[0]).toMatchObject({ status: "SKIPPED", error: "skipped: the calendar is closed that day", durationMs: 0 });
    expect(result.created[0]!.finishedAt).toBeInstanceOf(Date);
    await sleep(600); // several claim passes (poll 250 ms)
    const row = await prisma.execution.findUniqueOrThrow({ where: { id: result.created[0]!.id } });
    expect(row).toMatchObject({ status: "SKIPPED", startedAt: null });
  });

  test("nothing fires for a paused or disabled task, or while the scheduler is paused", async () => {
    const paused = await yearly("stmt-paused");
    const disabled = await yearly("stmt-disabled");
    const other = await yearly("stmt-other");
    const at = new Date(Date.now() + 3600_000);
    const fire = [{ scheduledAt: at, trigger: "SCHEDULE" as const, runAfter: at }];
    // flip the switches behind the engine's back, keeping the fence values the proposal holds
    await prisma.$executeRaw`UPDATE "Task" SET paused = (id = ${paused.id}), enabled = (id <> ${disabled.id}) WHERE id IN (${paused.id}, ${disabled.id})`;
    const switched = await recordFires(t.app.db.sql, [paused, disabled].map((x) => advance(x, fire, at)), new Date());
    expect(switched.advanced.size + switched.created.length).toBe(0);

    await t.ok(`mutation { pauseScheduler { paused } }`);
    try {
      const fresh = await prisma.task.findUniqueOrThrow({ where: { id: other.id } });
      const whilePaused = await recordFires(t.app.db.sql, [advance(fresh, fire, at)], new Date());
      expect(whilePaused.advanced.size + whilePaused.created.length).toBe(0);
    } finally {
      await t.ok(`mutation { resumeScheduler { paused } }`);
    }
    expect(await schedulesOf(prisma, [paused.id, disabled.id, other.id])).toEqual([]);
  });
});

describe("the fire path with a day filter (a trading calendar)", () => {
  test("a fire on a day the filter does not know is on record as SKIPPED with the filter's reason; the next day runs", async () => {
    const db = await createTestDatabase();
    const database = await openDatabase(db.target);
    const fires = new Fires({
      prisma: database.prisma,
      sql: database.sql,
      publishCreated: () => {},
      clock: { now: () => new Date() },
      logger: createLogger("silent"),
      catchUpWindowMs: 24 * 3600_000,
      catchUpMax: 10,
      onTimeGraceMs: 10_000,
      // every second is a "day": even seconds unknown, odd ones open
      fireFilter: async (): Promise<CalendarFireFilter> => ({
        calendar: "EVEN",
        dayOf: (at: Date) => at.toISOString(),
        check: (at: Date) => ((at.getTime() / 1000) % 2 === 0 ? "unknown" : true),
        endOfDay: (at: Date) => new Date(at.getTime() + 999 - (at.getTime() % 1000)),
      }),
    });
    try {
      await migrateDatabase(database);
      const first = new Date(Math.ceil((Date.now() + 500) / 2000) * 2000); // an even second: unknown
      await database.prisma.calendar.create({ data: { name: "EVEN" } });
      const task = await database.prisma.task.create({
        data: { name: "calendar-task", kind: "HANDLER", config: quick, cron: "* * * * * *", calendar: "EVEN", nextRunAt: first },
      });
      await fires.resync();
      const rows = await waitFor(async () => {
        const r = await database.prisma.execution.findMany({ where: { taskId: task.id }, orderBy: { scheduledAt: "asc" } });
        return r.length >= 2 ? r : null;
      }, 10_000, "two fires");
      expect(rows[0]).toMatchObject({ scheduledAt: first, status: "SKIPPED", trigger: "SCHEDULE" });
      expect(rows[0]!.error).toContain(`calendar "EVEN" has no data for ${first.toISOString()}`);
      expect(rows[1]).toMatchObject({ scheduledAt: new Date(first.getTime() + 1000), status: "PENDING" });
      // the same statement raised CALENDAR_GAP for that fire, once (the key)
      const gaps = await database.prisma.outbox.findMany({ where: { event: "CALENDAR_GAP", executionId: rows[0]!.id } });
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toMatchObject({ topic: "alert", taskId: task.id, key: `CALENDAR_GAP:EVEN:${first.toISOString()}:${task.id}` });
    } finally {
      await fires.stop();
      await database.close();
      await db.drop();
    }
  }, 30_000);
});

describe("what the schedule costs the database", () => {
  let t: TestApp;
  let log: StatementLog;
  beforeAll(async () => {
    log = recordStatements();
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    log?.restore();
  });
  // every statement that reads or writes due times (the old path polled them; its timers ran a
  // transaction of several per task and tick)
  // (the deadline checker's periodic read of tasks that have a deadline is its own loop, not the
  // fire path: it is recognised by its filter)
  const scheduleStatements = () => log.matching(/nextRunAt/).filter((sql) => !/"deadlineSeconds" IS NOT NULL/.test(sql));

  test("nothing due: no statement touches the due times, however many tasks are scheduled", async () => {
    const tasks: { id: string; nextRunAt: string }[] = [];
    for (let i = 0; i < 25; i++) tasks.push(await createTask(t, { name: `hourly-${i}`, kind: "HANDLER", config: quick, schedule: { intervalSeconds: 3600 } }));
    await waitFor(async () => tasks.every((task) => t.app.engine.dueAt(dbId(task.id))?.toISOString() === task.nextRunAt), 10_000, "the due times in memory");
    log.reset();
    await sleep(2500); // ten runner polls, several would-be ticks of a per-task timer
    expect(scheduleStatements()).toEqual([]);
  }, 60_000);

  test("one statement per tick writes the fires of every task due at that tick", async () => {
    // ALLOW: the claim takes no lock on these task rows, so no fire is retried as busy. Created
    // while the scheduler is paused (quicker than between fires); resuming plans them all from now
    await t.ok(`mutation { pauseScheduler { paused } }`);
    const tasks: { id: string; nextRunAt: string }[] = [];
    for (let i = 0; i < 20; i++) {
      tasks.push(await createTask(t, { name: `every-second-${i}`, kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *" }, overlapPolicy: "ALLOW" }));
    }
    await t.ok(`mutation { resumeScheduler { paused } }`);
    const ids = tasks.map((task) => dbId(task.id));
    await waitFor(async () => ids.every((id) => t.app.engine.dueAt(id)), 10_000, "the due times in memory");
    // from the next whole second on, every task fires on the same ticks
    const from = new Date(Math.ceil((Date.now() + 200) / 1000) * 1000);
    await sleep(from.getTime() - Date.now());
    log.reset();
    await sleep(3000);
    // (PGlite: a statement is prepared once, then EXECUTEd by name: the executions count)
    const statements = log.matching(new RegExp(FIRE_STATEMENT_TAG)).filter((sql) => !sql.startsWith("PREPARE"));
    await t.ok(`mutation { pauseScheduler { paused } }`);
    const fires = (await schedulesOf(t.app.db.prisma, ids)).filter((f) => f.scheduledAt >= from && f.scheduledAt.getTime() < from.getTime() + 3000);
    expect(fires).toHaveLength(20 * 3);
    // three ticks (a fourth may have begun at the window's end): not sixty statements, nor 180
    expect(statements.length).toBeGreaterThanOrEqual(3);
    expect(statements.length).toBeLessThanOrEqual(4);
  }, 90_000);
});

describe.runIf(testBackend() === "postgres")("several instances", () => {
  test("two instances and 30 tasks due every second: exactly one fire per task and second, none missed", async () => {
    const db = await createTestDatabase();
    const a = await startTestApp({ db });
    const b = await startTestApp({ db });
    try {
      const tasks: { id: string; nextRunAt: string }[] = [];
      for (let i = 0; i < 30; i++) {
        tasks.push(await createTask(i % 2 ? a : b, { name: `shared-${i}`, kind: "HANDLER", config: quick, schedule: { cron: "* * * * * *" }, overlapPolicy: "ALLOW" }));
      }
      const ids = tasks.map((task) => dbId(task.id));
      // both instances know every task: both propose every fire
      await waitFor(async () => ids.every((id) => a.app.engine.dueAt(id) && b.app.engine.dueAt(id)), 10_000, "both instances to hold every due time");
      const from = new Date(Math.ceil((Date.now() + 200) / 1000) * 1000);
      await sleep(from.getTime() + 4000 - Date.now());
      await a.ok(`mutation { pauseScheduler { paused } }`);
      const fires = (await schedulesOf(a.app.db.prisma, ids)).filter((f) => f.scheduledAt >= from && f.scheduledAt.getTime() < from.getTime() + 4000);
      const perSlot = new Map<string, number>();
      for (const f of fires) perSlot.set(`${f.taskId}@${f.scheduledAt.getTime()}`, (perSlot.get(`${f.taskId}@${f.scheduledAt.getTime()}`) ?? 0) + 1);
      expect([...perSlot.values()].every((n) => n === 1)).toBe(true);
      // every task, every second of the window
      expect(perSlot.size).toBe(30 * 4);
    } finally {
      await b.stop();
      await a.stop();
      await db.drop();
    }
  }, 90_000);

  test("a schedule changed by updateTask on one instance is picked up at once by the others", async () => {
    const db = await createTestDatabase();
    const a = await startTestApp({ db, config: { pollMs: 60_000 } });
    const b = await startTestApp({ db, config: { pollMs: 60_000 } });
    try {
      const task = await createTask(a, { name: "moved", kind: "HANDLER", config: quick, schedule: { cron: "0 0 1 1 *" } });
      const id = dbId(task.id);
      await waitFor(async () => b.app.engine.dueAt(id)?.toISOString() === task.nextRunAt, 10_000, "b to learn the new task");
      const updated = (await a.ok(`mutation($id: ID!) { updateTask(id: $id, input: { schedule: { intervalSeconds: 1 } }) { nextRunAt } }`, { id: task.id })).updateTask;
      // b holds the new due time (NOTIFY), long before its periodic resync would have read it
      await waitFor(async () => (b.app.engine.dueAt(id)?.getTime() ?? 0) >= new Date(updated.nextRunAt).getTime(), 5000, "b to follow the update");
      // with a gone, b alone keeps the new schedule
      await a.stop();
      const stoppedAt = new Date();
      const fires = await waitFor(async () => {
        const f = (await schedulesOf(b.app.db.prisma, [id])).filter((x) => x.scheduledAt > stoppedAt);
        return f.length >= 3 ? f : null;
      }, 10_000, "three fires from b");
      const times = fires.map((f) => f.scheduledAt.getTime());
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    } finally {
      await b.stop();
      await a.stop();
      await db.drop();
    }
  }, 90_000);
});
