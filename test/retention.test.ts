// Retention: old and surplus finished executions are pruned in batches (with their log lines and
// workflow steps), nothing active or belonging to an active run's family is, the rollup stays
// exact, the app runs the job on its own; and a chatty run keeps the head and tail of its log.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Prisma } from "../src/generated/prisma/client.ts";
import type { ExecutionStatus } from "../src/generated/prisma/enums.ts";
import { RetentionJob, type RetentionOptions } from "../src/executions/retention.ts";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";


let t: TestApp;
const DAY = 24 * 3600_000;
const FAR = new Date("2999-01-01T00:00:00.000Z");
const NOW = Date.now();
const ago = (days: number, plusMs = 0) => new Date(NOW - days * DAY + plusMs);

beforeAll(async () => {
  // the app's own job does nothing here: each test runs a job of its own with runOnce()
  t = await startTestApp({ config: { retentionDays: 0, retentionPerTask: 0, maxLogLines: 20 } });
});
afterAll(async () => {
  await t?.stop();
});

const taskDbId = (gid: string) => Number(Buffer.from(gid, "base64").toString().split(":")[1]);
async function newTask(name: string): Promise<number> {
  const task = await createTask(t, { name, kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 10 } } });
  return taskDbId(task.id);
}

/** one execution as the engine leaves it; `finished` days ago (final) or active */
async function row(taskId: number, status: ExecutionStatus, scheduled: Date, finished: Date | null, extra: Partial<Prisma.ExecutionUncheckedCreateInput> = {}) {
  const active = status === "PENDING" || status === "RUNNING";
  const r = await t.app.db.prisma.execution.create({
    data: {
      taskId,
      status,
      trigger: "MANUAL",
      manual: true,
      scheduledAt: scheduled,
      runAfter: status === "PENDING" ? FAR : scheduled,
      startedAt: status === "PENDING" ? null : scheduled,
      finishedAt: active ? null : finished,
      durationMs: active || !finished ? null : finished.getTime() - scheduled.getTime(),
      workerId: status === "RUNNING" ? "an-instance-elsewhere" : null,
      leaseExpiresAt: status === "RUNNING" ? FAR : null,
      ...extra,
    },
  });
  return r.id;
}

function job(options: Partial<RetentionOptions>, batches: number[] = []) {
  return new RetentionJob(
    { prisma: t.app.db.prisma, clock: { now: () => new Date(NOW) }, logger: t.app.services.logger, audit: t.app.services.audit, onPruned: (n) => batches.push(n) },
    { retentionDays: 0, perTask: 0, maxLogLines: 20, batchSize: 3, pauseMs: 0, ...options },
  );
}

const existing = async (ids: number[]) =>
  (await t.app.db.prisma.execution.findMany({ where: { id: { in: ids } }, select: { id: true }, orderBy: { id: "asc" } })).map((r) => r.id);

async function expectRollupExact() {
  const prisma = t.app.db.prisma;
  const rows = await prisma.$queryRaw`SELECT "taskId", status::text, count(*)::int AS n FROM "Execution" GROUP BY 1, 2 ORDER BY 1, 2`;
  const rollup = await prisma.$queryRaw`SELECT "taskId", status::text, sum(n)::int AS n FROM "ExecutionCount" GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`;
  expect(rollup).toEqual(rows);
}

describe("by age", () => {
  test("finished runs older than the limit go, with their logs and steps; active families stay", async () => {
    const task = await newTask("aging");
    const old: number[] = [];
    for (let i = 0; i < 10; i++) old.push(await row(task, i % 3 ? "SUCCEEDED" : "FAILED", ago(40, i * 60_000), ago(40, i * 60_000 + 500), { logLines: 3 }));
    await t.app.db.prisma.executionLog.createMany({ data: [1, 2, 3].map((seq) => ({ executionId: old[0]!, seq, stream: "stdout", text: `line ${seq}` })) });
    const recent: number[] = [];
    for (let i = 0; i < 5; i++) recent.push(await row(task, "SUCCEEDED", ago(10, i * 1000), ago(10, i * 1000 + 100)));
    await t.app.db.prisma.executionLog.create({ data: { executionId: recent[0]!, seq: 1, stream: "stdout", text: "kept" } });
    // active runs scheduled long ago: a stuck long-runner and a waiting retry
    const running = await row(task, "RUNNING", ago(40), null);
    const pending = await row(task, "PENDING", ago(40), null);
    // a finished parent whose step is still running: both stay
    const p1 = await row(task, "CANCELLED", ago(41), ago(41, 1000));
    const c1 = await row(task, "RUNNING", ago(41), null, { parentId: p1 });
    // a running parent: its finished steps stay (it reads them to go on)
    const p2 = await row(task, "RUNNING", ago(42), null);
    const c2a = await row(task, "FAILED", ago(42), ago(42, 100), { parentId: p2 });
    const c2b = await row(task, "SUCCEEDED", ago(42), ago(42, 200), { parentId: p2 });
    // a finished family: all of it goes (steps finished first)
    const p3 = await row(task, "SUCCEEDED", ago(43), ago(43, 5000));
    const c3a = await row(task, "SUCCEEDED", ago(43), ago(43, 100), { parentId: p3 });
    const c3b = await row(task, "SUCCEEDED", ago(43), ago(43, 200), { parentId: p3 });
    // three generations, the youngest running: the finished ancestors stay
    const p4 = await row(task, "FAILED", ago(44), ago(44, 1000));
    const c4 = await row(task, "FAILED", ago(44), ago(44, 900), { parentId: p4 });
    const g4 = await row(task, "RUNNING", ago(44), null, { parentId: c4 });
    const all = [...old, ...recent, running, pending, p1, c1, p2, c2a, c2b, p3, c3a, c3b, p4, c4, g4];

    const batches: number[] = [];
    const report = await job({ retentionDays: 30 }, batches).runOnce();
    expect(report).toMatchObject({ byAge: 13, byCount: 0 });
    expect(batches.every((n) => n >= 1 && n <= 3)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(13);
    const kept = [...recent, running, pending, p1, c1, p2, c2a, c2b, p4, c4, g4].sort((a, b) => a - b);
    expect(await existing(all)).toEqual(kept);
    expect(await t.app.db.prisma.executionLog.count({ where: { executionId: old[0]! } })).toBe(0);
    expect(await t.app.db.prisma.executionLog.count({ where: { executionId: recent[0]! } })).toBe(1);
    await expectRollupExact();

    // on record, as an automatic action
    const events = await t.ok(`query { auditEvents(first: 1, action: "execution.prune") { edges { node { actor action ok details } } } }`, {}, "viewer");
    expect(events.auditEvents.edges[0].node).toMatchObject({ actor: "system", action: "execution.prune", ok: true, details: { byAge: 13, byCount: 0 } });

    // nothing left to do
    expect(await job({ retentionDays: 30 }).runOnce()).toMatchObject({ byAge: 0, byCount: 0 });
    await t.app.db.prisma.execution.deleteMany({ where: { taskId: task } });
  });

  test("a batch carries fewer executions when they carry many log lines", async () => {
    const task = await newTask("chatty_old");
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await row(task, "SUCCEEDED", ago(40, i), ago(40, i + 1), { logLines: 500 }));
    const batches: number[] = [];
    // at most 20 lines are kept per execution: 20 + 20 > 30, so one execution per batch
    expect(await job({ retentionDays: 30, batchSize: 10, logLinesPerBatch: 30 }, batches).runOnce()).toMatchObject({ byAge: 5 });
    expect(batches).toEqual([1, 1, 1, 1, 1]);
    expect(await existing(ids)).toEqual([]);
  });
});

describe("by count per task", () => {
  test("keeps the newest N finished of each task, and every active one", async () => {
    const many = await newTask("many_runs");
    const few = await newTask("few_runs");
    const ids: number[] = [];
    const pending = await row(many, "PENDING", ago(1), null); // the oldest id: stays
    for (let i = 0; i < 12; i++) {
      ids.push(await row(many, i % 4 === 3 ? "FAILED" : "SUCCEEDED", ago(1, i * 1000), ago(1, i * 1000 + 10)));
      if (i === 5) ids.push(await row(many, "RUNNING", ago(1, i * 1000 + 1), null));
    }
    const running = ids[6]!;
    const finished = ids.filter((id) => id !== running);
    const fewIds: number[] = [];
    for (let i = 0; i < 3; i++) fewIds.push(await row(few, "SUCCEEDED", ago(1, i), ago(1, i + 1)));

    const report = await job({ perTask: 5 }).runOnce();
    expect(report).toMatchObject({ byAge: 0, byCount: 7 });
    expect(await existing([pending, ...ids, ...fewIds])).toEqual([pending, running, ...finished.slice(-5), ...fewIds].sort((a, b) => a - b));
    await expectRollupExact();
    expect(await job({ perTask: 5 }).runOnce()).toMatchObject({ byCount: 0 });

    // both limits at once: a task over the count with old runs
    const both = await newTask("both_limits");
    const b: number[] = [];
    for (let i = 0; i < 4; i++) b.push(await row(both, "SUCCEEDED", ago(50, i), ago(50, i + 1)));
    for (let i = 0; i < 8; i++) b.push(await row(both, "SUCCEEDED", ago(2, i), ago(2, i + 1)));
    expect(await job({ retentionDays: 30, perTask: 5 }).runOnce()).toMatchObject({ byAge: 4, byCount: 3 });
    expect(await existing(b)).toEqual(b.slice(-5));
    await expectRollupExact();
    await t.app.db.prisma.task.deleteMany({ where: { id: { in: [many, few, both] } } });
    await expectRollupExact();
  });
});

test("the app prunes on its own, every JOBGRAPH_RETENTION_INTERVAL_SECONDS", async () => {
  const app = await startTestApp({ config: { retentionDays: 7, retentionPerTask: 0, retentionIntervalMs: 300 } });
  try {
    const task = await createTask(app, { name: "pruned_by_the_app", kind: "HANDLER", config: { handler: "demo.sleep" } });
    const taskId = taskDbId(task.id);
    const prisma = app.app.db.prisma;
    const oldRun = await prisma.execution.create({
      data: { taskId, status: "SUCCEEDED", trigger: "MANUAL", scheduledAt: ago(8), startedAt: ago(8), finishedAt: ago(8, 10), durationMs: 10 },
    });
    const newRun = await prisma.execution.create({
      data: { taskId, status: "SUCCEEDED", trigger: "MANUAL", scheduledAt: ago(1), startedAt: ago(1), finishedAt: ago(1, 10), durationMs: 10 },
    });
    await waitFor(async () => !(await prisma.execution.findUnique({ where: { id: oldRun.id } })), 10_000, "the old run to be pruned");
    expect(await prisma.execution.findUnique({ where: { id: newRun.id } })).not.toBeNull();
    const metrics = await (await fetch(app.url.replace(/\/graphql$/, "/metrics"))).text();
    expect(metrics).toMatch(/jobgraph_retention_pruned_total\{reason="age"\} 1/);
  } finally {
    await app.stop();
  }
});

test("a chatty run keeps the head and the tail of its log (JOBGRAPH_MAX_LOG_LINES)", async () => {
  const task = await createTask(t, {
    name: "chatty",
    kind: "COMMAND",
    config: { command: process.execPath, args: ["-e", "for (let i = 1; i <= 50; i++) console.log('line ' + i)"] },
  });
  const exec = await trigger(t, task.id);
  const done = await waitForFinal(t, exec.id);
  expect(done.status).toBe("SUCCEEDED");
  const data = await t.ok(`query($id: ID!) { executionLog(id: $id, limit: 100) { seq stream text } }`, { id: exec.id }, "viewer");
  const lines = data.executionLog as { seq: number; stream: string; text: string }[];
  const expected = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 41)];
  expect(lines.map((l) => l.seq)).toEqual(expected);
  expect(lines.map((l) => l.text)).toEqual(expected.map((n) => `line ${n}`));
  expect(lines.every((l) => l.stream === "stdout")).toBe(true);
  // afterSeq pages on across the gap
  const after = await t.ok(`query($id: ID!) { executionLog(id: $id, afterSeq: 10, limit: 3) { seq } }`, { id: exec.id }, "viewer");
  expect(after.executionLog.map((l: { seq: number }) => l.seq)).toEqual([41, 42, 43]);
});
