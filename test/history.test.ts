// History and statistics through the GraphQL API, on a seeded history with known numbers:
// every executions filter (alone and combined) with totalCount, Task.executions, paging (stable
// while new executions arrive and when the cursor's row is deleted), stats and Task.stats
// (exact counts, success rate, avg and percentile_cont p50/p95, last finish; empty and single-run
// cases; a list of tasks with their stats), the scheduler status, and the rollup staying exact.
// The history is test data inserted with Prisma (as the engine would have written it): active
// rows carry leases and run-after times far ahead so the engine leaves them alone.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Prisma } from "../src/generated/prisma/client.ts";
import type { ExecutionStatus, TriggerKind } from "../src/generated/prisma/enums.ts";
import { RetentionJob } from "../src/executions/retention.ts";
import { encodeId } from "../src/graphql/ids.ts";
import { createTask, startTestApp, type TestApp } from "./helpers/app.ts";


let t: TestApp;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const H = 3600_000;
const FAR = new Date("2999-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => at(ms).toISOString();

interface Seed {
  status: ExecutionStatus;
  scheduledAt: number;
  /** run time; omitted: never started */
  ms?: number;
  trigger?: TriggerKind;
  attempt?: number;
  parentId?: number;
  finishedAt?: number;
}

/** inserts executions as the engine would have left them */
async function seed(taskId: number, rows: Seed[]): Promise<number[]> {
  const data: Prisma.ExecutionCreateManyInput[] = rows.map((r) => {
    const trigger = r.trigger ?? "SCHEDULE";
    const started = r.ms !== undefined || r.status === "RUNNING";
    const final = !["PENDING", "RUNNING"].includes(r.status);
    return {
      taskId,
      status: r.status,
      trigger,
      manual: trigger === "MANUAL",
      attempt: r.attempt ?? 1,
      parentId: r.parentId ?? null,
      scheduledAt: at(r.scheduledAt),
      runAfter: r.status === "PENDING" ? FAR : at(r.scheduledAt),
      startedAt: started ? at(r.scheduledAt) : null,
      finishedAt: final ? at(r.finishedAt ?? r.scheduledAt + (r.ms ?? 0)) : null,
      durationMs: final && r.ms !== undefined ? r.ms : null,
      workerId: r.status === "RUNNING" ? "an-instance-elsewhere" : null,
      heartbeatAt: r.status === "RUNNING" ? new Date() : null,
      leaseExpiresAt: r.status === "RUNNING" ? FAR : null,
    };
  });
  const created = await t.app.db.prisma.execution.createManyAndReturn({ data, select: { id: true } });
  return created.map((c) => c.id).sort((a, b) => a - b);
}

const STATS = `total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus`;
const PAGE = `totalCount edges { cursor node { id status } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

const tasks: Record<string, { id: string; db: number }> = {};
/** seeded ids per task, oldest first */
const ids: Record<string, number[]> = {};
const gid = (id: number) => encodeId("Execution", id);

async function newTask(name: string) {
  const task = await createTask(t, { name, kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 10 } } });
  tasks[name] = { id: task.id, db: Number(Buffer.from(task.id, "base64").toString().split(":")[1]) };
  return tasks[name]!;
}

beforeAll(async () => {
  // retention off: the seeded history is from 2026-01-01
  t = await startTestApp({ config: { retentionDays: 0, retentionPerTask: 0 } });
  const a = await newTask("alpha");
  ids.alpha = await seed(a.db, [
    { status: "SUCCEEDED", scheduledAt: 1 * H, ms: 100 },
    { status: "SUCCEEDED", scheduledAt: 2 * H, ms: 200, trigger: "MANUAL" },
    { status: "FAILED", scheduledAt: 3 * H, ms: 400 },
    { status: "TIMED_OUT", scheduledAt: 4 * H, ms: 1000 },
    { status: "CANCELLED", scheduledAt: 5 * H, ms: 50, trigger: "MANUAL" },
    { status: "SKIPPED", scheduledAt: 6 * H },
    { status: "SUCCEEDED", scheduledAt: 7 * H, ms: 300, trigger: "RETRY", attempt: 2 },
    { status: "RUNNING", scheduledAt: 8 * H },
    { status: "PENDING", scheduledAt: 9 * H, trigger: "CATCH_UP" },
    { status: "CANCELLED", scheduledAt: 10 * H, trigger: "MANUAL", finishedAt: 10 * H + 1000 },
  ]);
  const b = await newTask("bravo");
  ids.bravo = await seed(b.db, Array.from({ length: 25 }, (_, i) => ({ status: "SUCCEEDED" as const, scheduledAt: 24 * H + i * 60_000, ms: 10 * (i + 1) })));
  await newTask("charlie"); // never ran
  const d = await newTask("delta");
  ids.delta = await seed(d.db, [{ status: "SUCCEEDED", scheduledAt: 30 * H, ms: 123 }]);
  // a workflow run with two steps (of task delta), one of them retried
  const w = await newTask("workflow");
  ids.workflow = await seed(w.db, [{ status: "SUCCEEDED", scheduledAt: 40 * H, ms: 5000, trigger: "MANUAL" }]);
  const parentId = ids.workflow[0]!;
  ids.steps = await seed(d.db, [
    { status: "FAILED", scheduledAt: 40 * H, ms: 10, trigger: "WORKFLOW", parentId },
    { status: "SUCCEEDED", scheduledAt: 40 * H + 1000, ms: 20, trigger: "RETRY", attempt: 2, parentId },
  ]);
});
afterAll(async () => {
  await t?.stop();
});

async function executions(filter: Record<string, unknown> | null, first = 50, after?: string) {
  const data = await t.ok(`query($f: ExecutionFilter, $first: Int, $after: String) { executions(first: $first, after: $after, filter: $f) { ${PAGE} } }`, {
    f: filter,
    first,
    after,
  }, "viewer");
  return data.executions as { totalCount: number; edges: { cursor: string; node: { id: string; status: string } }[]; pageInfo: any };
}
const nodeIds = (c: { edges: { node: { id: string } }[] }) => c.edges.map((e) => e.node.id);
const newestFirst = (list: number[]) => [...list].sort((a, b) => b - a).map(gid);
const pick = (name: string, positions: number[]) => positions.map((p) => ids[name]![p - 1]!);

describe("executions: filters and totalCount", () => {
  test("by task, newest first", async () => {
    const c = await executions({ taskId: tasks.alpha!.id });
    expect(c.totalCount).toBe(10);
    expect(nodeIds(c)).toEqual(newestFirst(ids.alpha!));
  });

  test("every filter alone", async () => {
    const cases: [Record<string, unknown>, number[]][] = [
      [{ taskId: tasks.alpha!.id, status: ["FAILED", "TIMED_OUT"] }, pick("alpha", [3, 4])],
      [{ taskId: tasks.alpha!.id, status: ["RUNNING", "PENDING"] }, pick("alpha", [8, 9])],
      [{ taskId: tasks.alpha!.id, trigger: ["MANUAL"] }, pick("alpha", [2, 5, 10])],
      [{ taskId: tasks.alpha!.id, trigger: ["RETRY", "CATCH_UP"] }, pick("alpha", [7, 9])],
      [{ taskId: tasks.alpha!.id, manual: true }, pick("alpha", [2, 5, 10])],
      [{ taskId: tasks.alpha!.id, manual: false }, pick("alpha", [1, 3, 4, 6, 7, 8, 9])],
      // from inclusive, until exclusive, on scheduledAt
      [{ taskId: tasks.alpha!.id, from: iso(2 * H), until: iso(5 * H) }, pick("alpha", [2, 3, 4])],
      [{ taskId: tasks.alpha!.id, from: iso(9 * H) }, pick("alpha", [9, 10])],
      [{ taskId: tasks.alpha!.id, until: iso(2 * H) }, pick("alpha", [1])],
      [{ parentId: gid(ids.workflow![0]!) }, ids.steps!],
      [{ status: ["CANCELLED"] }, pick("alpha", [5, 10])],
      [{ trigger: ["WORKFLOW"] }, ids.steps!.slice(0, 1)],
      [{ from: iso(40 * H) }, [...ids.workflow!, ...ids.steps!]],
      [{ taskId: tasks.charlie!.id }, []],
    ];
    for (const [filter, expected] of cases) {
      const c = await executions(filter);
      expect(nodeIds(c), JSON.stringify(filter)).toEqual(newestFirst(expected));
      expect(c.totalCount, JSON.stringify(filter)).toBe(expected.length);
    }
  });

  test("filters combined", async () => {
    const cases: [Record<string, unknown>, number[]][] = [
      [{ taskId: tasks.alpha!.id, status: ["SUCCEEDED"], manual: false }, pick("alpha", [1, 7])],
      [{ taskId: tasks.alpha!.id, status: ["SUCCEEDED", "CANCELLED"], trigger: ["MANUAL"], from: iso(3 * H) }, pick("alpha", [5, 10])],
      [{ taskId: tasks.delta!.id, parentId: gid(ids.workflow![0]!), status: ["FAILED"] }, ids.steps!.slice(0, 1)],
      [{ taskId: tasks.delta!.id, manual: false, until: iso(40 * H) }, ids.delta!],
      [{ status: ["SUCCEEDED"], from: iso(24 * H), until: iso(24 * H + 5 * 60_000) }, ids.bravo!.slice(0, 5)],
      [{ taskId: tasks.bravo!.id, status: ["FAILED"] }, []],
    ];
    for (const [filter, expected] of cases) {
      const c = await executions(filter);
      expect(nodeIds(c), JSON.stringify(filter)).toEqual(newestFirst(expected));
      expect(c.totalCount, JSON.stringify(filter)).toBe(expected.length);
    }
  });

  test("unfiltered: everything, and totalCount from the rollup matches", async () => {
    const all = [...ids.alpha!, ...ids.bravo!, ...ids.delta!, ...ids.workflow!, ...ids.steps!];
    const c = await executions(null, 100);
    expect(c.totalCount).toBe(all.length);
    expect(nodeIds(c)).toEqual(newestFirst(all));
    expect((await executions({ status: ["SUCCEEDED"] })).totalCount).toBe(3 + 25 + 1 + 1 + 1);
    expect((await executions({ status: [] })).totalCount).toBe(all.length);
  });

  test("Task.executions takes the same filter", async () => {
    const data = await t.ok(
      `query($id: ID!) { task(id: $id) { all: executions(first: 3) { ${PAGE} } failed: executions(first: 10, filter: { status: [FAILED, TIMED_OUT] }) { ${PAGE} }
         manual: executions(first: 10, filter: { manual: true, from: "${iso(3 * H)}" }) { ${PAGE} } } }`,
      { id: tasks.alpha!.id },
      "viewer",
    );
    expect(data.task.all.totalCount).toBe(10);
    expect(nodeIds(data.task.all)).toEqual(newestFirst(ids.alpha!).slice(0, 3));
    expect(data.task.all.pageInfo.hasNextPage).toBe(true);
    expect(nodeIds(data.task.failed)).toEqual(newestFirst(pick("alpha", [3, 4])));
    expect(data.task.failed.totalCount).toBe(2);
    expect(nodeIds(data.task.manual)).toEqual(newestFirst(pick("alpha", [5, 10])));
  });

  test("from after until is a VALIDATION error", async () => {
    const r = await t.gql(`query($f: ExecutionFilter) { executions(first: 1, filter: $f) { totalCount edges { node { id } } } }`, {
      f: { from: iso(5 * H), until: iso(1 * H) },
    });
    expect(r.errors?.[0]?.extensions?.code).toBe("VALIDATION");
  });
});

describe("paging", () => {
  test("first/after walks the history once, and stays stable while new executions arrive", async () => {
    const filter = { taskId: tasks.bravo!.id };
    const p1 = await executions(filter, 10);
    expect(nodeIds(p1)).toEqual(newestFirst(ids.bravo!).slice(0, 10));
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await executions(filter, 10, p1.pageInfo.endCursor);
    expect(nodeIds(p2)).toEqual(newestFirst(ids.bravo!).slice(10, 20));
    // five newer runs arrive while the client reads page 2
    const newer = await seed(tasks.bravo!.db, Array.from({ length: 5 }, (_, i) => ({ status: "SUCCEEDED" as const, scheduledAt: 26 * H + i * 1000, ms: 5 })));
    const p3 = await executions(filter, 10, p2.pageInfo.endCursor);
    expect(nodeIds(p3)).toEqual(newestFirst(ids.bravo!).slice(20));
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const seen = [...nodeIds(p1), ...nodeIds(p2), ...nodeIds(p3)];
    expect(new Set(seen).size).toBe(25);
    expect(seen.sort()).toEqual(ids.bravo!.map(gid).sort());
    // the new ones are on a fresh first page
    const fresh = await executions(filter, 5);
    expect(nodeIds(fresh)).toEqual(newestFirst(newer));
    expect(fresh.totalCount).toBe(30);
    await t.app.db.prisma.execution.deleteMany({ where: { id: { in: newer } } });
  });

  test("a page after a cursor whose execution was deleted meanwhile", async () => {
    const echo = await newTask("echo");
    const rows = await seed(echo.db, Array.from({ length: 8 }, (_, i) => ({ status: "SUCCEEDED" as const, scheduledAt: 60 * H + i * 1000, ms: 1 })));
    const filter = { taskId: echo.id };
    const p1 = await executions(filter, 4);
    expect(nodeIds(p1)).toEqual(newestFirst(rows).slice(0, 4));
    // the last row of the page goes (retention, deleteExecution) before the client asks for more
    await t.app.db.prisma.execution.delete({ where: { id: rows[4] } });
    const p2 = await executions(filter, 4, p1.pageInfo.endCursor);
    expect(nodeIds(p2)).toEqual(newestFirst(rows).slice(4, 8));
    expect(p2.totalCount).toBe(7);
  });

  test("last/before pages backwards", async () => {
    const filter = { taskId: tasks.bravo!.id };
    const all = newestFirst(ids.bravo!);
    const p = await executions(filter, 10);
    const back = await t.ok(`query($f: ExecutionFilter, $before: String) { executions(last: 3, before: $before, filter: $f) { ${PAGE} } }`, {
      f: filter,
      before: (await executions(filter, 10, p.pageInfo.endCursor)).edges[0]!.cursor,
    }, "viewer");
    expect(nodeIds(back.executions)).toEqual(all.slice(7, 10));
  });
});

describe("stats", () => {
  const statsOf = async (taskId: string | null, from?: string, until?: string) =>
    (await t.ok(`query($taskId: ID, $from: DateTime, $until: DateTime) { stats(taskId: $taskId, from: $from, until: $until) { ${STATS} } }`, { taskId, from, until }, "viewer")).stats;

  // alpha's finished runs with a duration: 100 200 400 1000 50 300 → sorted 50 100 200 300 400 1000
  const ALPHA = {
    total: 10,
    succeeded: 3,
    failed: 1,
    timedOut: 1,
    cancelled: 2,
    skipped: 1,
    running: 1,
    pending: 1,
    successRate: 0.6, // 3 / (3 + 1 + 1)
    avgDurationMs: 2050 / 6,
    p50DurationMs: 250, // between 200 and 300
    p95DurationMs: 850, // 400 + 0.75 × (1000 − 400)
    lastFinishedAt: iso(10 * H + 1000),
    lastStatus: "CANCELLED",
  };

  test("of one task: every count, success rate, durations, last finish", async () => {
    const s = await statsOf(tasks.alpha!.id);
    expect({ ...s, avgDurationMs: undefined }).toEqual({ ...ALPHA, avgDurationMs: undefined });
    expect(s.avgDurationMs).toBeCloseTo(ALPHA.avgDurationMs, 9);
  });

  test("Task.stats is the same", async () => {
    const data = await t.ok(`query($id: ID!) { task(id: $id) { stats { ${STATS} } } }`, { id: tasks.alpha!.id }, "viewer");
    expect(data.task.stats).toEqual(await statsOf(tasks.alpha!.id));
  });

  test("over a range of scheduledAt: [from, until)", async () => {
    const s = await statsOf(tasks.alpha!.id, iso(2 * H), iso(5 * H));
    expect(s).toMatchObject({
      total: 3,
      succeeded: 1,
      failed: 1,
      timedOut: 1,
      cancelled: 0,
      skipped: 0,
      running: 0,
      pending: 0,
      p50DurationMs: 400,
      p95DurationMs: 940, // 400 + 0.9 × 600
      lastFinishedAt: iso(4 * H + 1000),
      lastStatus: "TIMED_OUT",
    });
    expect(s.successRate).toBeCloseTo(1 / 3, 12);
    expect(s.avgDurationMs).toBeCloseTo(1600 / 3, 9);
    const data = await t.ok(`query($id: ID!, $from: DateTime, $until: DateTime) { task(id: $id) { stats(from: $from, until: $until) { ${STATS} } } }`, {
      id: tasks.alpha!.id,
      from: iso(2 * H),
      until: iso(5 * H),
    }, "viewer");
    expect(data.task.stats).toEqual(s);
  });

  test("only cancelled and skipped runs: no success rate", async () => {
    const s = await statsOf(tasks.alpha!.id, iso(5 * H), iso(7 * H));
    expect(s).toMatchObject({ total: 2, cancelled: 1, skipped: 1, successRate: null, avgDurationMs: 50, p50DurationMs: 50, p95DurationMs: 50 });
    expect(s.lastStatus).toBe("SKIPPED"); // finished at 6 h, after the cancel at 5 h + 50 ms
  });

  test("a single run", async () => {
    expect(await statsOf(tasks.delta!.id, iso(0), iso(31 * H))).toEqual({
      total: 1,
      succeeded: 1,
      failed: 0,
      timedOut: 0,
      cancelled: 0,
      skipped: 0,
      running: 0,
      pending: 0,
      successRate: 1,
      avgDurationMs: 123,
      p50DurationMs: 123,
      p95DurationMs: 123,
      lastFinishedAt: iso(30 * H + 123),
      lastStatus: "SUCCEEDED",
    });
  });

  const EMPTY = {
    total: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    cancelled: 0,
    skipped: 0,
    running: 0,
    pending: 0,
    successRate: null,
    avgDurationMs: null,
    p50DurationMs: null,
    p95DurationMs: null,
    lastFinishedAt: null,
    lastStatus: null,
  };

  test("empty: a task that never ran, a range with nothing in it", async () => {
    expect(await statsOf(tasks.charlie!.id)).toEqual(EMPTY);
    expect(await statsOf(null, iso(1000 * H))).toEqual(EMPTY);
    expect(await statsOf(tasks.alpha!.id, iso(100 * H), iso(200 * H))).toEqual(EMPTY);
    const data = await t.ok(`query($id: ID!) { task(id: $id) { stats { ${STATS} } } }`, { id: tasks.charlie!.id }, "viewer");
    expect(data.task.stats).toEqual(EMPTY);
  });

  test("of all tasks", async () => {
    // alpha, bravo, delta, the workflow and its steps, and echo's 7 one-millisecond runs (paging)
    const durations = [100, 200, 400, 1000, 50, 300, ...Array.from({ length: 25 }, (_, i) => 10 * (i + 1)), 123, 5000, 10, 20, ...Array(7).fill(1)];
    const s = await statsOf(null);
    expect(s).toMatchObject({
      total: 10 + 25 + 1 + 1 + 2 + 7,
      succeeded: 3 + 25 + 1 + 1 + 1 + 7,
      failed: 2,
      timedOut: 1,
      cancelled: 2,
      skipped: 1,
      running: 1,
      pending: 1,
      lastFinishedAt: iso(60 * H + 7000 + 1),
      lastStatus: "SUCCEEDED",
    });
    expect(s.successRate).toBeCloseTo(38 / 41, 12);
    expect(s.avgDurationMs).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / durations.length, 9);
    expect(s.p50DurationMs).toBeCloseTo(percentileCont(durations, 0.5), 9);
    expect(s.p95DurationMs).toBeCloseTo(percentileCont(durations, 0.95), 9);
    // the same by hand: of the 42 durations sorted, p50 lies halfway between the 21st (100) and
    // the 22nd (110); p95 0.95 of the way from the 39th (300) to the 40th (400)
    expect(s.p50DurationMs).toBe(105);
    expect(s.p95DurationMs).toBeCloseTo(395, 9);
  });

  test("a list of tasks with their stats (one batched query) equals each task's own", async () => {
    const names = ["alpha", "bravo", "charlie", "delta", "workflow"];
    const data = await t.ok(`query($from: DateTime) { tasks(first: 20) { edges { node { name stats(from: $from) { ${STATS} } all: stats { ${STATS} } } } } }`, { from: iso(2 * H) }, "viewer");
    for (const name of names) {
      const node = data.tasks.edges.find((e: any) => e.node.name === name).node;
      expect(node.stats, name).toEqual(await statsOf(tasks[name]!.id, iso(2 * H)));
      expect(node.all, name).toEqual(await statsOf(tasks[name]!.id));
    }
    expect(data.tasks.edges.find((e: any) => e.node.name === "bravo").node.all).toMatchObject({
      total: 25,
      succeeded: 25,
      successRate: 1,
      avgDurationMs: 130,
      p50DurationMs: 130,
      lastFinishedAt: iso(24 * H + 24 * 60_000 + 250),
    });
    // 0.8 of the way from the 23rd (230) to the 24th (240) of 25
    expect(data.tasks.edges.find((e: any) => e.node.name === "bravo").node.all.p95DurationMs).toBeCloseTo(238, 9);
  });

  test("from after until is a VALIDATION error", async () => {
    const r = await t.gql(`query { stats(from: "${iso(2 * H)}", until: "${iso(H)}") { total } }`);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION" });
  });
});

test("scheduler status", async () => {
  const s = (
    await t.ok(`query { scheduler { running paused instances tasks enabledTasks pausedTasks scheduledTasks runningExecutions pendingExecutions startedAt version } }`, {}, "viewer")
  ).scheduler;
  expect(s).toMatchObject({
    running: true,
    paused: false,
    instances: 1,
    tasks: Object.keys(tasks).length,
    enabledTasks: Object.keys(tasks).length,
    pausedTasks: 0,
    scheduledTasks: 0,
    runningExecutions: 1,
    pendingExecutions: 1,
    version: "0.1.0",
  });
  expect(Date.parse(s.startedAt)).toBeLessThanOrEqual(Date.now());
});

test("the rollup equals the rows, before and after folding its deltas", async () => {
  const prisma = t.app.db.prisma;
  const exact = async () => {
    const rows = await prisma.$queryRaw<{ taskId: number; status: string; n: number }[]>`
      SELECT "taskId", status::text, count(*)::int AS n FROM "Execution" GROUP BY 1, 2 ORDER BY 1, 2`;
    const rollup = await prisma.$queryRaw<{ taskId: number; status: string; n: number }[]>`
      SELECT "taskId", status::text, sum(n)::int AS n FROM "ExecutionCount" GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`;
    expect(rollup).toEqual(rows);
  };
  await exact();
  const job = new RetentionJob({ prisma, clock: { now: () => new Date() }, logger: t.app.services.logger }, { retentionDays: 0, perTask: 0, maxLogLines: 100 });
  expect(await job.compactCounts()).toBeGreaterThan(0);
  await exact();
  const keys = await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT 1 FROM "ExecutionCount" GROUP BY "taskId", status HAVING count(*) > 1) k`;
  expect(keys[0]!.n).toBe(0);
  // status changes and deletes keep it exact
  await prisma.execution.updateMany({ where: { id: ids.alpha![8] }, data: { status: "CANCELLED", finishedAt: at(9 * H) } });
  await prisma.execution.update({ where: { id: ids.alpha![8] }, data: { status: "PENDING", finishedAt: null } });
  const gone = await seed(tasks.charlie!.db, [{ status: "SUCCEEDED", scheduledAt: 50 * H, ms: 1 }, { status: "FAILED", scheduledAt: 51 * H, ms: 1 }]);
  await prisma.execution.deleteMany({ where: { id: { in: gone } } });
  await exact();
  expect(await job.compactCounts()).toBeGreaterThan(0);
  await exact();
});

/** PostgreSQL's percentile_cont: linear interpolation at (n − 1) × p over the sorted values */
function percentileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}
