// Operating runs (issue 12) through the GraphQL API: rerun (with params, of a workflow from its
// failure), backfill over a range with existing fires, bulk cancel and retry (bounds, audit,
// status rules), and tags on tasks with the task and execution filters.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDefaultHandlerRegistry } from "../src/executors/handlers/registry.ts";
import { ExecutionFailure } from "../src/executors/types.ts";
import { decodeId, encodeId } from "../src/graphql/ids.ts";
import { createTask, EXECUTION_FIELDS, getExecution, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
let seq = 0;
const unique = (base: string) => `${base}_${++seq}`;

beforeAll(async () => {
  // a step that fails while its params say so: a workflow can fail once and then be fixed by a rerun
  const handlers = createDefaultHandlerRegistry().register("test.maybeFail", async (ctx) => {
    if (ctx.params.fail) throw new ExecutionFailure("asked to fail");
    return { ok: true, step: ctx.params.label ?? null };
  });
  t = await startTestApp({ options: { handlers } });
});
afterAll(async () => {
  await t?.stop();
});

const RUN_FIELDS = `${EXECUTION_FIELDS} rerunOf { id }`;

const RERUN = `mutation($id: ID!, $params: JSON, $fromFailure: Boolean) {
  rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) { ${RUN_FIELDS} } }`;
const BACKFILL = `mutation($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {
  backfillTask(id: $id, from: $from, until: $until, params: $params) { created skipped executions { id trigger scheduledAt status params } } }`;
const CANCEL_MANY = `mutation($filter: ExecutionFilter!) { cancelExecutions(filter: $filter) }`;
const RETRY_MANY = `mutation($filter: ExecutionFilter!) { retryExecutions(filter: $filter) }`;

const sleepTask = (extra: Record<string, unknown> = {}) =>
  createTask(t, { name: unique("sleep"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 20 } }, ...extra });
const failTask = (extra: Record<string, unknown> = {}) =>
  createTask(t, { name: unique("fail"), kind: "HANDLER", config: { handler: "demo.fail", defaults: { message: "boom" } }, overlapPolicy: "ALLOW", ...extra });

async function runsOf(taskId: string, filter: Record<string, unknown> = {}): Promise<any[]> {
  const data = await t.ok(
    `query($id: ID!, $filter: ExecutionFilter) { task(id: $id) { executions(first: 500, filter: $filter) { totalCount edges { node { ${RUN_FIELDS} } } } } }`,
    { id: taskId, filter },
    "viewer",
  );
  return data.task.executions.edges.map((e: any) => e.node);
}

async function auditOf(action: string): Promise<any[]> {
  const data = await t.ok(`query($a: String) { auditEvents(first: 50, action: $a) { edges { node { actor action ok error details } } } }`, { a: action }, "viewer");
  return data.auditEvents.edges.map((e: any) => e.node);
}

function codeOf(r: { errors?: { extensions?: { code?: string } }[] }) {
  return r.errors?.[0]?.extensions?.code;
}

// ── rerun ────────────────────────────────────────────────────────────────────────────────────

describe("rerunExecution", () => {
  test("a new run of the same task with the original params merged with the given ones, linked back", async () => {
    const task = await sleepTask();
    const first = await waitForFinal(t, (await trigger(t, task.id, { ms: 10, label: "a" })).id);
    const r = await t.ok(RERUN, { id: first.id, params: { label: "b" } }, "operator");
    const rerun = r.rerunExecution;
    expect(rerun).toMatchObject({ trigger: "RERUN", manual: true, params: { ms: 10, label: "b" }, rerunOf: { id: first.id }, task: { id: task.id } });
    expect(rerun.triggeredBy).toBe("operator-user");
    // the nominal time is the original's: a rerun processes the date the run was for
    expect(rerun.scheduledAt).toBe(first.scheduledAt);
    expect((await waitForFinal(t, rerun.id)).status).toBe("SUCCEEDED");
    // without params: exactly the original ones
    const again = (await t.ok(RERUN, { id: first.id }, "operator")).rerunExecution;
    expect(again.params).toEqual({ ms: 10, label: "a" });
    await waitForFinal(t, again.id);
    const audit = await auditOf("execution.rerun");
    expect(audit.filter((a) => a.ok).length).toBeGreaterThanOrEqual(2);
  });

  test("refused: an active run (CONFLICT), a viewer (FORBIDDEN), bad params and fromFailure on a non-workflow (VALIDATION)", async () => {
    const task = await sleepTask();
    const running = await trigger(t, task.id, { ms: 5000 });
    expect(codeOf(await t.gql(RERUN, { id: running.id }, "operator"))).toBe("CONFLICT");
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: running.id }, "operator");
    const done = await waitForFinal(t, running.id);
    expect(codeOf(await t.gql(RERUN, { id: done.id }, "viewer"))).toBe("FORBIDDEN");
    const bad = await t.gql(RERUN, { id: done.id, params: [1, 2] }, "operator");
    expect(codeOf(bad)).toBe("VALIDATION");
    const ff = await t.gql(RERUN, { id: done.id, fromFailure: true }, "operator");
    expect(codeOf(ff)).toBe("VALIDATION");
    expect(ff.errors![0]!.extensions!.field).toBe("fromFailure");
    expect(codeOf(await t.gql(RERUN, { id: encodeId("Execution", 999_999) }, "operator"))).toBe("NOT_FOUND");
    // nothing was created by the refusals; a cancelled run can be rerun
    expect((await runsOf(task.id)).length).toBe(1);
    const rerun = (await t.ok(RERUN, { id: done.id, params: { ms: 1 } }, "operator")).rerunExecution;
    expect((await waitForFinal(t, rerun.id)).status).toBe("SUCCEEDED");
  });

  test("a rerun waits its turn under the overlap policy SKIP instead of being skipped", async () => {
    const task = await sleepTask();
    const done = await waitForFinal(t, (await trigger(t, task.id, { ms: 1 })).id);
    const busy = await trigger(t, task.id, { ms: 1500 });
    await waitFor(async () => (await getExecution(t, busy.id)).status === "RUNNING", 10_000, "the busy run to start");
    const rerun = (await t.ok(RERUN, { id: done.id }, "operator")).rerunExecution;
    const [b, r] = [await waitForFinal(t, busy.id), await waitForFinal(t, rerun.id)];
    expect(r.status).toBe("SUCCEEDED");
    expect(Date.parse(r.startedAt)).toBeGreaterThanOrEqual(Date.parse(b.finishedAt));
  });

  test("a workflow from its failure reuses the succeeded steps and runs only the failed branch and what depends on it", async () => {
    const step = () => createTask(t, { name: unique("step"), kind: "HANDLER", config: { handler: "test.maybeFail" }, overlapPolicy: "ALLOW" });
    const [a, b, c, d, e] = [await step(), await step(), await step(), await step(), await step()];
    // a → b → d (b fails), a → c → e (succeeds); d also needs c
    const wf = await createTask(t, {
      name: unique("wf"),
      kind: "WORKFLOW",
      config: {
        mode: "PARALLEL",
        onFailure: "CONTINUE",
        steps: [
          { id: "a", task: a.name, params: { label: "a" } },
          { id: "b", task: b.name, dependsOn: ["a"], params: { label: "b", fail: true } },
          { id: "c", task: c.name, dependsOn: ["a"], params: { label: "c" } },
          { id: "d", task: d.name, dependsOn: ["b", "c"], params: { label: "d" } },
          { id: "e", task: e.name, dependsOn: ["c"], params: { label: "e" } },
        ],
      },
    });
    const first = await waitForFinal(t, (await trigger(t, wf.id)).id);
    expect(first.status).toBe("FAILED");
    expect(first.result.steps).toEqual({ a: "SUCCEEDED", b: "FAILED", c: "SUCCEEDED", d: "SKIPPED", e: "SUCCEEDED" });

    // the operator fixed b's input: the run's params for step b override its config
    const rerun = (await t.ok(RERUN, { id: first.id, fromFailure: true, params: { b: { fail: false } } }, "operator")).rerunExecution;
    expect(rerun).toMatchObject({ trigger: "RERUN", rerunOf: { id: first.id } });
    const done = await waitForFinal(t, rerun.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.result.steps).toEqual({ a: "SUCCEEDED", b: "SUCCEEDED", c: "SUCCEEDED", d: "SUCCEEDED", e: "SUCCEEDED" });

    const data = await t.ok(
      `query($id: ID!) { execution(id: $id) { children(first: 50) { edges { node { stepId status trigger startedAt result progressMessage rerunOf { id } task { name } } } } } }`,
      { id: rerun.id },
      "viewer",
    );
    const children = Object.fromEntries(data.execution.children.edges.map((x: any) => [x.node.stepId, x.node]));
    const old = await t.ok(`query($id: ID!) { execution(id: $id) { children(first: 50) { edges { node { id stepId } } } } }`, { id: first.id }, "viewer");
    const oldIds = Object.fromEntries(old.execution.children.edges.map((x: any) => [x.node.stepId, x.node.id]));
    for (const id of ["a", "c", "e"]) {
      // reused: shown SUCCEEDED with the old result, linked to the attempt that produced it, never started again
      expect(children[id]).toMatchObject({ status: "SUCCEEDED", trigger: "RERUN", startedAt: null, rerunOf: { id: oldIds[id] }, result: { ok: true, step: id } });
      expect(children[id].progressMessage).toContain("reused");
    }
    for (const id of ["b", "d"]) expect(children[id]).toMatchObject({ status: "SUCCEEDED", trigger: "WORKFLOW", rerunOf: null });
    expect(children.b.result).toEqual({ ok: true, step: "b" });
    // the steps that had succeeded ran once in all; b twice, d once (it was skipped the first time)
    const realRuns = async (task: any) => (await runsOf(task.id)).filter((r) => r.startedAt !== null).length;
    expect([await realRuns(a), await realRuns(b), await realRuns(c), await realRuns(d), await realRuns(e)]).toEqual([1, 2, 1, 1, 1]);
    // nothing failed in the rerun: fromFailure on it has nothing to do
    expect(codeOf(await t.gql(RERUN, { id: rerun.id, fromFailure: true }, "operator"))).toBe("CONFLICT");
  });
});

// ── backfill ─────────────────────────────────────────────────────────────────────────────────

describe("backfillTask", () => {
  const hour = 3600_000;
  const lastHour = () => new Date(Math.floor(Date.now() / hour) * hour);

  test("one run per nominal fire in [from, until), oldest first and one at a time, skipping fires that already ran", async () => {
    const task = await sleepTask({ schedule: { cron: "0 * * * *" }, config: { handler: "demo.sleep", defaults: { ms: 60 } } });
    const until = lastHour();
    const from = new Date(until.getTime() - 6 * hour);
    // the schedule fired two hours ago (the scheduler's insert), and a first backfill covered the hour before that
    const fired = new Date(until.getTime() - 2 * hour);
    await t.app.services.prisma.execution.create({
      data: { taskId: decodeId(task.id, "Task", "id"), trigger: "SCHEDULE", scheduledAt: fired, runAfter: fired, status: "SUCCEEDED", finishedAt: fired },
    });
    const part = (await t.ok(BACKFILL, { id: task.id, from: new Date(until.getTime() - 3 * hour).toISOString(), until: fired.toISOString() }, "operator")).backfillTask;
    expect(part.created).toBe(1);

    const r = (await t.ok(BACKFILL, { id: task.id, from: from.toISOString(), until: until.toISOString(), params: { ms: 60 } }, "operator")).backfillTask;
    expect(r.created).toBe(4);
    expect(r.skipped).toBe(2);
    const expected = [6, 5, 4, 1].map((h) => new Date(until.getTime() - h * hour).toISOString());
    expect(r.executions.map((e: any) => e.scheduledAt)).toEqual(expected);
    expect(r.executions.every((e: any) => e.trigger === "BACKFILL" && e.params.ms === 60)).toBe(true);

    // again: every fire of the range has a run now
    const again = (await t.ok(BACKFILL, { id: task.id, from: from.toISOString(), until: until.toISOString() }, "operator")).backfillTask;
    expect(again).toMatchObject({ created: 0, skipped: 6, executions: [] });

    const runs = await Promise.all(r.executions.map((e: any) => waitForFinal(t, e.id, 30_000)));
    expect(runs.every((e) => e.status === "SUCCEEDED")).toBe(true);
    // overlap policy SKIP (the default): one at a time, in the order of their fire times
    for (let i = 1; i < runs.length; i++) expect(Date.parse(runs[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(runs[i - 1].finishedAt));
    const all = await runsOf(task.id, { from: from.toISOString(), until: until.toISOString() });
    expect(new Set(all.map((e) => e.scheduledAt)).size).toBe(6);
    expect(all).toHaveLength(6);
  });

  test("an interval schedule backfills on its anchored fire times", async () => {
    const task = await sleepTask({ schedule: { intervalSeconds: 1800 }, overlapPolicy: "ALLOW" });
    const row = await t.app.services.prisma.task.findUniqueOrThrow({ where: { name: task.name } });
    const anchor = row.nextRunAt!.getTime();
    const from = new Date(anchor - 3 * hour - 1000);
    const r = (await t.ok(BACKFILL, { id: task.id, from: from.toISOString(), until: new Date(anchor - 2 * 1800_000 + 1).toISOString() }, "operator")).backfillTask;
    expect(r.executions.map((e: any) => Date.parse(e.scheduledAt))).toEqual([6, 5, 4, 3, 2].map((k) => anchor - k * 1800_000));
    await Promise.all(r.executions.map((e: any) => waitForFinal(t, e.id)));
  });

  test("refused with VALIDATION and nothing created: more than 1000 fires, no schedule, until in the future or not after from", async () => {
    const every = await sleepTask({ schedule: { intervalSeconds: 60 } });
    const now = Date.now();
    const tooMany = await t.gql(BACKFILL, { id: every.id, from: new Date(now - 2 * 24 * hour).toISOString(), until: new Date(now - hour).toISOString() }, "operator");
    expect(codeOf(tooMany)).toBe("VALIDATION");
    expect(tooMany.errors![0]!.message).toContain("1000");
    const manual = await sleepTask();
    expect(codeOf(await t.gql(BACKFILL, { id: manual.id, from: new Date(now - hour).toISOString(), until: new Date(now).toISOString() }, "operator"))).toBe("VALIDATION");
    const future = await t.gql(BACKFILL, { id: every.id, from: new Date(now - hour).toISOString(), until: new Date(now + hour).toISOString() }, "operator");
    expect(future.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "until" });
    expect(codeOf(await t.gql(BACKFILL, { id: every.id, from: new Date(now - hour).toISOString(), until: new Date(now - 2 * hour).toISOString() }, "operator"))).toBe("VALIDATION");
    expect(codeOf(await t.gql(BACKFILL, { id: every.id, from: new Date(now - hour).toISOString(), until: new Date(now).toISOString() }, "viewer"))).toBe("FORBIDDEN");
    expect(await runsOf(every.id)).toHaveLength(0);
    expect((await auditOf("task.backfill")).some((a) => !a.ok && a.error.includes("1000"))).toBe(true);
  });
});

// ── bulk actions ─────────────────────────────────────────────────────────────────────────────

describe("cancelExecutions / retryExecutions", () => {
  test("cancel: every PENDING and RUNNING match in one go, counted, audited once with the filter", async () => {
    const task = await sleepTask({ overlapPolicy: "QUEUE", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const other = await sleepTask({ config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const runs = [await trigger(t, task.id), await trigger(t, task.id), await trigger(t, task.id)];
    const untouched = await trigger(t, other.id);
    await waitFor(async () => (await getExecution(t, runs[0].id)).status === "RUNNING", 10_000, "the first run to start");
    const r = await t.ok(CANCEL_MANY, { filter: { taskId: task.id } }, "operator");
    expect(r.cancelExecutions).toBe(3);
    const final = await Promise.all(runs.map((e) => waitForFinal(t, e.id)));
    expect(final.map((e) => e.status)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED"]);
    expect((await getExecution(t, untouched.id)).status).not.toBe("CANCELLED");
    const audit = (await auditOf("execution.cancelMany")).filter((a) => a.details.filter.taskId === task.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ ok: true, actor: "operator-user", details: { count: 3 } });
    // nothing left to cancel
    expect((await t.ok(CANCEL_MANY, { filter: { taskId: task.id } }, "operator")).cancelExecutions).toBe(0);
    // only active statuses can be asked for
    const wrong = await t.gql(CANCEL_MANY, { filter: { taskId: task.id, status: ["FAILED"] } }, "operator");
    expect(wrong.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "filter.status" });
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: untouched.id }, "operator");
  });

  test("cancel refuses more than 1000 matches and changes nothing; a narrower filter goes through", async () => {
    const task = await sleepTask({ schedule: { intervalSeconds: 60 }, overlapPolicy: "QUEUE", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const until = Date.now() - 60_000;
    const mid = until - 600 * 60_000;
    const started = Date.now();
    const first = (await t.ok(BACKFILL, { id: task.id, from: new Date(mid).toISOString(), until: new Date(until).toISOString() }, "operator")).backfillTask;
    const second = (await t.ok(BACKFILL, { id: task.id, from: new Date(mid - 600 * 60_000).toISOString(), until: new Date(mid).toISOString() }, "operator")).backfillTask;
    console.log(`backfill: ${first.created + second.created} runs in ${Date.now() - started} ms (two calls)`);
    expect(first.created + second.created).toBeGreaterThan(1000);
    const before = await t.ok(`query($id: ID!) { executions(filter: { taskId: $id, status: [PENDING, RUNNING] }) { totalCount } }`, { id: task.id }, "viewer");
    const refused = await t.gql(CANCEL_MANY, { filter: { taskId: task.id } }, "operator");
    expect(refused.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "filter" });
    const after = await t.ok(`query($id: ID!) { executions(filter: { taskId: $id, status: [PENDING, RUNNING] }) { totalCount } }`, { id: task.id }, "viewer");
    expect(after.executions.totalCount).toBe(before.executions.totalCount);
    expect((await auditOf("execution.cancelMany")).some((a) => !a.ok && a.details.filter.taskId === task.id)).toBe(true);
    const older = await t.ok(CANCEL_MANY, { filter: { taskId: task.id, until: new Date(mid).toISOString() } }, "operator");
    expect(older.cancelExecutions).toBe(second.created);
    expect((await t.ok(CANCEL_MANY, { filter: { taskId: task.id } }, "operator")).cancelExecutions).toBe(first.created);
    await waitFor(async () => {
      const left = await t.ok(`query($id: ID!) { executions(filter: { taskId: $id, status: [PENDING, RUNNING] }) { totalCount } }`, { id: task.id }, "viewer");
      return left.executions.totalCount === 0;
    }, 20_000, "every run to end");
  });

  test("retry: failed and timed-out top-level runs not yet retried, once each even when asked twice at once", async () => {
    const task = await failTask();
    const runs = await Promise.all([1, 2, 3].map(() => trigger(t, task.id)));
    await Promise.all(runs.map((e) => waitForFinal(t, e.id)));
    // (the originals only: their retries fail fast too and would be retried by the later call)
    const originals = { filter: { taskId: task.id, trigger: ["MANUAL"] } };
    const [a, b] = await Promise.all([t.ok(RETRY_MANY, originals, "operator"), t.ok(RETRY_MANY, originals, "operator")]);
    expect(a.retryExecutions + b.retryExecutions).toBe(3);
    const retries = await runsOf(task.id, { trigger: ["RETRY"] });
    expect(retries).toHaveLength(3);
    expect(new Set(retries.map((r) => r.retryOf.id))).toEqual(new Set(runs.map((r) => r.id)));
    for (const r of retries) {
      expect(r).toMatchObject({ attempt: 2, triggeredBy: "operator-user" });
      expect(r.scheduledAt).toBe(runs.find((x) => x.id === r.retryOf.id).scheduledAt);
    }
    await Promise.all(retries.map((e) => waitForFinal(t, e.id)));
    // the originals have their retry now; the retries themselves are next
    expect((await t.ok(RETRY_MANY, originals, "operator")).retryExecutions).toBe(0);
    const second = await t.ok(RETRY_MANY, { filter: { taskId: task.id } }, "operator");
    expect(second.retryExecutions).toBe(3);
    const audit = (await auditOf("execution.retryMany")).filter((x) => x.details.filter.taskId === task.id);
    expect(audit).toHaveLength(4); // one per call, whatever it did
    expect((await t.gql(RETRY_MANY, { filter: { status: ["SUCCEEDED"] } }, "operator")).errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "filter.status" });
    expect(codeOf(await t.gql(RETRY_MANY, { filter: { taskId: task.id } }, "viewer"))).toBe("FORBIDDEN");
    await waitFor(async () => (await runsOf(task.id, { status: ["PENDING", "RUNNING"] })).length === 0, 10_000, "retries to end");
  });

  test("retry takes CANCELLED runs only when asked by status, and refuses more than 1000 matches", async () => {
    const task = await sleepTask({ config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const run = await trigger(t, task.id);
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: run.id }, "operator");
    await waitForFinal(t, run.id);
    expect((await t.ok(RETRY_MANY, { filter: { taskId: task.id } }, "operator")).retryExecutions).toBe(0);
    expect((await t.ok(RETRY_MANY, { filter: { taskId: task.id, status: ["CANCELLED"] } }, "operator")).retryExecutions).toBe(1);
    await t.ok(CANCEL_MANY, { filter: { taskId: task.id } }, "operator");

    // 1001 failed runs on record (as a night of failures would leave them)
    const failing = await failTask();
    const id = decodeId(failing.id, "Task", "id");
    const at = new Date(Date.now() - 3600_000);
    await t.app.services.prisma.execution.createMany({
      data: Array.from({ length: 1001 }, (_, i) => ({ taskId: id, trigger: "MANUAL" as const, status: "FAILED" as const, scheduledAt: new Date(at.getTime() + i), runAfter: at, finishedAt: at })),
    });
    const refused = await t.gql(RETRY_MANY, { filter: { taskId: failing.id } }, "operator");
    expect(refused.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "filter" });
    expect(await runsOf(failing.id, { trigger: ["RETRY"] })).toHaveLength(0);
  });
});

// ── tags ─────────────────────────────────────────────────────────────────────────────────────

describe("tags", () => {
  const TAGS_OF = `query($filter: TaskFilter) { tasks(first: 100, filter: $filter) { totalCount edges { node { name tags } } } }`;

  test("set on create and update, validated, and selected by the task and execution filters", async () => {
    const nightly = await sleepTask({ tags: ["nightly", "sync.stock", "nightly"] });
    expect(nightly.tags ?? (await t.ok(`query($id: ID!) { task(id: $id) { tags } }`, { id: nightly.id }, "viewer")).task.tags).toEqual(["nightly", "sync.stock"]);
    const other = await sleepTask({ tags: ["nightly"] });

    const upper = await t.gql(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, {
      input: { name: unique("bad"), kind: "HANDLER", config: { handler: "demo.sleep" }, tags: ["Nightly"] },
    });
    expect(upper.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "input.tags" });
    const many = await t.gql(`mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }`, {
      id: other.id,
      input: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    });
    expect(many.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", field: "input.tags" });
    const updated = await t.ok(`mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { tags } }`, {
      id: other.id,
      input: { tags: ["nightly", "finance"] },
    });
    expect(updated.updateTask.tags).toEqual(["nightly", "finance"]);
    // an update that does not name tags keeps them
    const kept = await t.ok(`mutation($id: ID!) { updateTask(id: $id, input: { description: "x" }) { tags } }`, { id: other.id });
    expect(kept.updateTask.tags).toEqual(["nightly", "finance"]);

    const names = async (tags: string[]) => (await t.ok(TAGS_OF, { filter: { tags } }, "viewer")).tasks.edges.map((e: any) => e.node.name).sort();
    expect(await names(["nightly"])).toEqual([nightly.name, other.name].sort());
    expect(await names(["nightly", "finance"])).toEqual([other.name]);
    expect(await names(["nightly", "finance", "sync.stock"])).toEqual([]);
    expect(codeOf(await t.gql(TAGS_OF, { filter: { tags: ["BAD TAG"] } }, "viewer"))).toBe("VALIDATION");

    const e1 = await waitForFinal(t, (await trigger(t, nightly.id, { ms: 1 })).id);
    const e2 = await waitForFinal(t, (await trigger(t, other.id, { ms: 1 })).id);
    const q = `query($filter: ExecutionFilter) { executions(first: 50, filter: $filter) { totalCount edges { node { id } } } }`;
    const byTags = async (tags: string[]) => {
      const d = (await t.ok(q, { filter: { tags } }, "viewer")).executions;
      expect(d.totalCount).toBe(d.edges.length);
      return d.edges.map((e: any) => e.node.id).sort();
    };
    expect(await byTags(["nightly"])).toEqual([e1.id, e2.id].sort());
    expect(await byTags(["finance"])).toEqual([e2.id]);
    expect(await byTags(["sync.stock", "finance"])).toEqual([]);
    // bulk actions select by tags too
    const slow = await sleepTask({ tags: ["finance", "slow"], config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const s = await trigger(t, slow.id);
    expect((await t.ok(CANCEL_MANY, { filter: { tags: ["slow"] } }, "operator")).cancelExecutions).toBe(1);
    expect((await waitForFinal(t, s.id)).status).toBe("CANCELLED");
  });
});
