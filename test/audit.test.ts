// The audit trail: every mutation of API.md leaves exactly one AuditEvent naming the token's sub,
// the action, the outcome and its target; a rejected one is recorded with ok: false and the
// error; automatic actions (retry, misfire catch-up, sweep) are recorded with actor "system"; auditEvents filters
// and pages newest first.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Role } from "../src/auth/roles.ts";
import { encodeId } from "../src/graphql/ids.ts";
import { startTestApp, waitFor, waitForFinal, type GqlResult, type TestApp } from "./helpers/app.ts";


let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

/** POST as a user with this `sub` */
async function as<T = any>(sub: string, role: Role, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  const res = await fetch(t.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await t.token(role, sub)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}
async function ok<T = any>(sub: string, role: Role, query: string, variables?: Record<string, unknown>): Promise<T> {
  const r = await as<T>(sub, role, query, variables);
  if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

const EVENT = `id at actor action ok error task { id } execution { id } details`;
async function eventsOf(args: string) {
  const data = await t.ok(`query { auditEvents(first: 100${args ? `, ${args}` : ""}) { totalCount edges { cursor node { ${EVENT} } } pageInfo { hasNextPage endCursor } } }`, {}, "viewer");
  return data.auditEvents as { totalCount: number; edges: { cursor: string; node: any }[]; pageInfo: any };
}
/** the one event `sub` left */
async function onlyEventOf(sub: string) {
  const e = await eventsOf(`actor: ${JSON.stringify(sub)}`);
  expect(e.totalCount, `events of ${sub}`).toBe(1);
  expect(e.edges).toHaveLength(1);
  return e.edges[0]!.node;
}

const HANDLER_SLEEP = { kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 20 } } };
const EXEC = `id status task { id }`;

describe("every mutation leaves one event with its actor", () => {
  let taskId: string;
  let seq = 0;
  const sub = (what: string) => `user-${++seq}-${what}`;

  test("task mutations", async () => {
    let who = sub("create");
    const created = await ok(who, "admin", `mutation($input: CreateTaskInput!) { createTask(input: $input) { id name } }`, { input: { name: "audited", ...HANDLER_SLEEP } });
    taskId = created.createTask.id;
    expect(await onlyEventOf(who)).toMatchObject({ actor: who, action: "task.create", ok: true, error: null, task: { id: taskId }, details: { name: "audited" } });

    who = sub("update");
    await ok(who, "admin", `mutation($id: ID!) { updateTask(id: $id, input: { description: "now described", maxRetries: 0 }) { id } }`, { id: taskId });
    expect(await onlyEventOf(who)).toMatchObject({ action: "task.update", ok: true, task: { id: taskId } });

    for (const [field, action] of [
      ["disableTask", "task.disable"],
      ["enableTask", "task.enable"],
      ["pauseTask", "task.pause"],
      ["resumeTask", "task.resume"],
    ] as const) {
      who = sub(field);
      await ok(who, "operator", `mutation($id: ID!) { ${field}(id: $id) { id enabled paused } }`, { id: taskId });
      expect(await onlyEventOf(who), field).toMatchObject({ actor: who, action, ok: true, error: null, task: { id: taskId } });
    }
  });

  test("execution mutations", async () => {
    // triggerTask
    let who = sub("trigger");
    const run = (await ok(who, "operator", `mutation($id: ID!) { triggerTask(id: $id, params: { ms: 30000 }) { ${EXEC} } }`, { id: taskId })).triggerTask;
    expect(await onlyEventOf(who)).toMatchObject({ action: "task.trigger", ok: true, task: { id: taskId }, execution: { id: run.id }, details: { force: false } });
    await waitFor(async () => (await t.ok(`query($id: ID!) { execution(id: $id) { status } }`, { id: run.id }, "viewer")).execution.status === "RUNNING", 10_000, "the run to start");

    // cancelExecution
    who = sub("cancel");
    await ok(who, "operator", `mutation($id: ID!) { cancelExecution(id: $id) { ${EXEC} } }`, { id: run.id });
    expect(await onlyEventOf(who)).toMatchObject({ action: "execution.cancel", ok: true, task: { id: taskId }, execution: { id: run.id } });
    expect((await waitForFinal(t, run.id)).status).toBe("CANCELLED");

    // markExecutionFailed
    const second = (await ok(sub("setup"), "operator", `mutation($id: ID!) { triggerTask(id: $id, params: { ms: 30000 }) { ${EXEC} } }`, { id: taskId })).triggerTask;
    who = sub("markFailed");
    const marked = (await ok(who, "admin", `mutation($id: ID!) { markExecutionFailed(id: $id, reason: "stuck") { ${EXEC} } }`, { id: second.id })).markExecutionFailed;
    expect(marked.status).toBe("FAILED");
    expect(await onlyEventOf(who)).toMatchObject({ action: "execution.markFailed", ok: true, task: { id: taskId }, execution: { id: second.id }, details: { reason: "stuck" } });

    // deleteExecution
    who = sub("deleteExecution");
    await ok(who, "admin", `mutation($id: ID!) { deleteExecution(id: $id) }`, { id: run.id });
    expect(await onlyEventOf(who)).toMatchObject({ action: "execution.delete", ok: true, execution: null, details: { id: run.id } });
  });

  test("scheduler mutations", async () => {
    let who = sub("pauseScheduler");
    expect((await ok(who, "admin", `mutation { pauseScheduler { paused } }`)).pauseScheduler.paused).toBe(true);
    expect(await onlyEventOf(who)).toMatchObject({ action: "scheduler.pause", ok: true, task: null, execution: null });
    who = sub("resumeScheduler");
    expect((await ok(who, "admin", `mutation { resumeScheduler { paused } }`)).resumeScheduler.paused).toBe(false);
    expect(await onlyEventOf(who)).toMatchObject({ action: "scheduler.resume", ok: true });
  });

  test("a rejected mutation is on record: ok false, the error, the target", async () => {
    await ok(sub("setup"), "operator", `mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: taskId });
    const who = sub("rejected");
    const r = await as(who, "operator", `mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: taskId });
    expect(r.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const event = await onlyEventOf(who);
    expect(event).toMatchObject({ actor: who, action: "task.trigger", ok: false, task: { id: taskId } });
    expect(event.error).toMatch(/disabled/);
    // and it changed nothing
    const runs = await t.ok(`query($id: ID!) { task(id: $id) { executions(first: 10) { totalCount } } }`, { id: taskId }, "viewer");
    expect(runs.task.executions.totalCount).toBe(1); // the marked-failed run (the other was deleted)
    await ok(sub("setup"), "operator", `mutation($id: ID!) { enableTask(id: $id) { id } }`, { id: taskId });

    const ghost = sub("not-found");
    const missing = await as(ghost, "admin", `mutation($id: ID!) { deleteExecution(id: $id) }`, { id: encodeId("Execution", 999_999) });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await onlyEventOf(ghost)).toMatchObject({ action: "execution.delete", ok: false, execution: null });
  });

  test("deleteTask", async () => {
    const who = sub("deleteTask");
    await ok(who, "admin", `mutation($id: ID!) { deleteTask(id: $id) }`, { id: taskId });
    expect(await onlyEventOf(who)).toMatchObject({ action: "task.delete", ok: true, details: { id: taskId } });
  });
});

describe("automatic actions are recorded as system", () => {
  test("a retry", async () => {
    const task = (await t.ok(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, {
      input: { name: "retried", kind: "HANDLER", config: { handler: "demo.fail", defaults: { message: "boom" } }, maxRetries: 1, retryDelaySeconds: 0 },
    })).createTask;
    const first = (await t.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: task.id }, "operator")).triggerTask;
    expect((await waitForFinal(t, first.id)).status).toBe("FAILED");
    const retry = await waitFor(async () => {
      const d = await t.ok(`query($id: ID!) { task(id: $id) { executions(first: 5) { edges { node { id attempt status trigger retryOf { id } } } } } }`, { id: task.id }, "viewer");
      const r = d.task.executions.edges.map((e: any) => e.node).find((n: any) => n.attempt === 2);
      return r && ["FAILED"].includes(r.status) ? r : null;
    }, 15_000, "the retry to fail too");
    expect(retry).toMatchObject({ trigger: "RETRY", retryOf: { id: first.id } });
    const events = await eventsOf(`taskId: ${JSON.stringify(task.id)}, action: "execution.retry"`);
    expect(events.totalCount).toBe(1); // attempt 2 is the last one: no second retry
    expect(events.edges[0]!.node).toMatchObject({ actor: "system", action: "execution.retry", ok: true, task: { id: task.id }, execution: { id: retry.id } });
  });

  test("a misfire catch-up", async () => {
    const task = (await t.ok(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, {
      input: { name: "missed_fire", ...HANDLER_SLEEP, schedule: { cron: "0 0 1 1 *" }, misfirePolicy: "RUN_ONCE" },
    })).createTask;
    // as if every instance had been down over a fire five minutes ago
    const fired = new Date(Math.floor((Date.now() - 5 * 60_000) / 1000) * 1000);
    const taskId = Number(Buffer.from(task.id, "base64").toString().split(":")[1]);
    await t.app.db.prisma.task.update({ where: { id: taskId }, data: { nextRunAt: fired } });
    // written behind the engine's back: it keeps due times in memory, so tell it (as a restart would)
    await t.app.engine.taskChanged(taskId);
    const events = await waitFor(async () => {
      const e = await eventsOf(`taskId: ${JSON.stringify(task.id)}, action: "schedule.misfire"`);
      // edges and totalCount are two reads: wait for the event to be in the page itself
      return e.edges.length ? e : null;
    }, 10_000, "the catch-up");
    expect(events.edges[0]!.node).toMatchObject({ actor: "system", ok: true, details: { policy: "RUN_ONCE", missed: 1, caughtUp: 1, firstMissed: fired.toISOString() } });
    const runs = await t.ok(`query($id: ID!) { task(id: $id) { executions(first: 5) { edges { node { trigger scheduledAt } } } } }`, { id: task.id }, "viewer");
    expect(runs.task.executions.edges.map((e: any) => e.node)).toEqual([{ trigger: "CATCH_UP", scheduledAt: fired.toISOString() }]);
  });

  test("a sweep of a run whose worker stopped heart-beating", async () => {
    const task = (await t.ok(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, { input: { name: "orphaned", ...HANDLER_SLEEP } })).createTask;
    const row = await t.app.db.prisma.execution.create({
      data: {
        taskId: Number(Buffer.from(task.id, "base64").toString().split(":")[1]),
        status: "RUNNING",
        trigger: "MANUAL",
        scheduledAt: new Date(Date.now() - 60_000),
        startedAt: new Date(Date.now() - 60_000),
        workerId: "a-crashed-instance",
        heartbeatAt: new Date(Date.now() - 50_000),
        leaseExpiresAt: new Date(Date.now() - 40_000),
      },
    });
    const id = encodeId("Execution", row.id);
    expect((await waitForFinal(t, id)).status).toBe("FAILED");
    const events = await waitFor(async () => {
      const e = await eventsOf(`taskId: ${JSON.stringify(task.id)}, action: "execution.sweep"`);
      return e.edges.length ? e : null;
    }, 5000, "the sweep event");
    expect(events.totalCount).toBe(1);
    expect(events.edges[0]!.node).toMatchObject({ actor: "system", ok: true, execution: { id } });
    expect(events.edges[0]!.node.details.error).toMatch(/lease lost/);
  });
});

describe("auditEvents", () => {
  test("filters: taskId, action, executionId, actor, ok — alone and together", async () => {
    const all = await eventsOf("");
    const nodes = all.edges.map((e) => e.node);
    expect(all.totalCount).toBe(nodes.length);
    const check = async (args: string, keep: (n: any) => boolean) => {
      const got = await eventsOf(args);
      const expected = nodes.filter(keep).map((n) => n.id);
      expect(got.edges.map((e) => e.node.id), args).toEqual(expected);
      expect(got.totalCount, args).toBe(expected.length);
      return got;
    };
    const retried = nodes.find((n) => n.action === "execution.retry")!;
    expect((await check(`action: "task.create"`, (n) => n.action === "task.create")).totalCount).toBe(4);
    await check(`taskId: ${JSON.stringify(retried.task.id)}`, (n) => n.task?.id === retried.task.id);
    await check(`executionId: ${JSON.stringify(retried.execution.id)}`, (n) => n.execution?.id === retried.execution.id);
    expect((await check(`actor: "system"`, (n) => n.actor === "system")).totalCount).toBeGreaterThanOrEqual(3);
    expect((await check(`ok: false`, (n) => n.ok === false)).totalCount).toBe(2);
    await check(`ok: true, actor: "system", action: "execution.sweep"`, (n) => n.ok && n.actor === "system" && n.action === "execution.sweep");
    await check(`taskId: ${JSON.stringify(retried.task.id)}, action: "task.trigger"`, (n) => n.task?.id === retried.task.id && n.action === "task.trigger");
  });

  test("newest first, paged with first/after", async () => {
    const all = (await eventsOf("")).edges.map((e) => e.node.id);
    const ids = all.map((id) => Number(Buffer.from(id, "base64").toString().split(":")[1]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await t.ok(`query($after: String) { auditEvents(first: 4, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after }, "viewer");
      seen.push(...data.auditEvents.edges.map((e: any) => e.node.id));
      if (!data.auditEvents.pageInfo.hasNextPage) break;
      after = data.auditEvents.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });
});
