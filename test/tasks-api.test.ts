// Every Task mutation and query over real HTTP, each validation rule with a bad input (rejected
// with the right code and field, nothing written), and the audit trail every mutation leaves.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeId } from "../src/graphql/ids.ts";
import { startTestApp, TASK_FIELDS, trigger, waitFor, type TestApp } from "./helpers/app.ts";


let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const CREATE = `mutation($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { ${TASK_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteTask(id: $id) }`;
const SWITCH = (op: "enableTask" | "disableTask" | "pauseTask" | "resumeTask") => `mutation($id: ID!) { ${op}(id: $id) { ${TASK_FIELDS} } }`;
const TASK_BY_ID = `query($id: ID) { task(id: $id) { ${TASK_FIELDS} } }`;
const TASK_BY_NAME = `query($name: String) { task(name: $name) { ${TASK_FIELDS} } }`;
const TASKS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: TaskFilter) {
  tasks(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } }
  }
}`;
const AUDIT = `query($action: String, $taskId: ID, $first: Int) {
  auditEvents(first: $first, action: $action, taskId: $taskId) {
    totalCount edges { node { id at actor action ok error details task { id name } execution { id } } }
  }
}`;

const HOUR = 3600_000;
const future = (ms = 30 * 24 * HOUR) => new Date(Date.now() + ms).toISOString();
const handler = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 10 } }, ...extra });

async function create(input: Record<string, unknown>): Promise<any> {
  return (await t.ok(CREATE, { input })).createTask;
}
async function update(id: string, input: Record<string, unknown>): Promise<any> {
  return (await t.ok(UPDATE, { id, input })).updateTask;
}
async function flip(op: Parameters<typeof SWITCH>[0], id: string, role: "operator" | "admin" = "operator"): Promise<any> {
  return (await t.ok(SWITCH(op), { id }, role))[op];
}
const snapshot = () => t.app.db.prisma.task.findMany({ orderBy: { id: "asc" } });

/** the newest audit event of an action */
async function lastAudit(action: string): Promise<any> {
  const data = await t.ok(AUDIT, { action, first: 1 }, "viewer");
  return data.auditEvents.edges[0]?.node;
}

/** Runs a mutation that must be rejected with `code` (and `field`), and checks the Task rows are
 *  exactly as before and that the attempt is on record as a failed audit event. */
async function rejected(query: string, variables: Record<string, unknown>, code: string, field?: string, action?: string) {
  const before = await snapshot();
  const auditsBefore = await t.app.db.prisma.auditEvent.count();
  const r = await t.gql(query, variables);
  expect(r.errors, JSON.stringify(r)).toHaveLength(1);
  const e = r.errors![0]!;
  expect(e.extensions?.code, e.message).toBe(code);
  if (field !== undefined) expect(e.extensions?.field, e.message).toBe(field);
  expect(r.data ?? null).toBeNull();
  expect(await snapshot()).toEqual(before);
  if (action) {
    expect(await t.app.db.prisma.auditEvent.count()).toBe(auditsBefore + 1);
    expect(await lastAudit(action)).toMatchObject({ action, ok: false, error: e.message, actor: "admin-user" });
  }
  return e;
}
const createRejected = (input: Record<string, unknown>, code: string, field?: string) => rejected(CREATE, { input }, code, field, "task.create");

describe("createTask", () => {
  test("a manual-only task gets the documented defaults", async () => {
    const task = await create(handler("defaults"));
    expect(task).toMatchObject({
      name: "defaults",
      displayName: null,
      description: null,
      kind: "HANDLER",
      config: { handler: "demo.sleep", defaults: { ms: 10 } },
      schedule: null,
      enabled: true,
      paused: false,
      maxRetries: 0,
      retryDelaySeconds: 60,
      retryBackoff: 1,
      timeoutSeconds: null,
      overlapPolicy: "SKIP",
      misfirePolicy: "RUN_ONCE",
      nextRunAt: null,
    });
    expect(Buffer.from(task.id, "base64").toString()).toMatch(/^Task:\d+$/);
    expect(new Date(task.createdAt).getTime()).toBeGreaterThan(0);
  });

  test("every field can be set; an interval schedule's first fire is one interval from now", async () => {
    const before = Date.now();
    const task = await create({
      name: "full.task-1",
      displayName: "Full task",
      description: "all fields",
      kind: "COMMAND",
      config: { command: "echo", args: ["hi"], env: { A: "1" }, cwd: "/tmp" },
      schedule: { intervalSeconds: 3600 },
      maxRetries: 3,
      retryDelaySeconds: 5,
      retryBackoff: 2.5,
      timeoutSeconds: 30,
      overlapPolicy: "QUEUE",
      misfirePolicy: "RUN_ALL",
    });
    const after = Date.now();
    expect(task).toMatchObject({
      name: "full.task-1",
      displayName: "Full task",
      description: "all fields",
      kind: "COMMAND",
      config: { command: "echo", args: ["hi"], env: { A: "1" }, cwd: "/tmp" },
      schedule: { cron: null, intervalSeconds: 3600, runAt: null, timezone: "UTC" },
      maxRetries: 3,
      retryDelaySeconds: 5,
      retryBackoff: 2.5,
      timeoutSeconds: 30,
      overlapPolicy: "QUEUE",
      misfirePolicy: "RUN_ALL",
    });
    const next = new Date(task.nextRunAt).getTime();
    expect(next).toBeGreaterThanOrEqual(before + HOUR);
    expect(next).toBeLessThanOrEqual(after + HOUR);
  });

  test("cron in a time zone: nextRunAt is the next local fire, in UTC", async () => {
    const task = await create(handler("cron-shanghai", { schedule: { cron: "0 9 * * *", timezone: "Asia/Shanghai" } }));
    expect(task.schedule).toEqual({ cron: "0 9 * * *", intervalSeconds: null, runAt: null, timezone: "Asia/Shanghai" });
    expect(task.nextRunAt).toMatch(/T01:00:00\.000Z$/);
    const next = new Date(task.nextRunAt).getTime();
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 24 * HOUR);
  });

  test("6-field cron (seconds) and runAt schedules", async () => {
    const sixField = await create(handler("cron-seconds", { schedule: { cron: "30 0 0 1 1 *" } }));
    expect(sixField.nextRunAt).toMatch(/-01-01T00:00:30\.000Z$/);
    const at = future();
    const oneOff = await create(handler("one-off", { schedule: { runAt: at } }));
    expect(oneOff.schedule).toMatchObject({ runAt: at, cron: null, intervalSeconds: null });
    expect(oneOff.nextRunAt).toBe(at);
  });

  test("created disabled: no next fire", async () => {
    const task = await create(handler("born-disabled", { enabled: false, schedule: { intervalSeconds: 60 } }));
    expect(task).toMatchObject({ enabled: false, nextRunAt: null, schedule: { intervalSeconds: 60 } });
  });

  test("each kind's config is accepted in its documented shape", async () => {
    await create({ name: "kind-http", kind: "HTTP", config: { url: "https://example.com/hook", method: "POST", headers: { "x-a": "1" }, body: { a: 1 }, expectStatus: [200, 299] } });
    await create({ name: "kind-handler", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 2, stepMs: 1 } } });
    const wf = await create({
      name: "kind-workflow",
      kind: "WORKFLOW",
      config: { mode: "PARALLEL", onFailure: "CONTINUE", steps: [{ id: "a", task: "kind-handler" }, { id: "b", task: "kind-http", dependsOn: ["a"], params: { x: 1 } }] },
    });
    // zod defaults are filled in and stored
    expect(wf.config).toEqual({ mode: "PARALLEL", onFailure: "CONTINUE", steps: [{ id: "a", task: "kind-handler", dependsOn: [] }, { id: "b", task: "kind-http", dependsOn: ["a"], params: { x: 1 } }] });
  });

  test("is audited: actor, action, ok and the task", async () => {
    const task = await create(handler("audited-create"));
    expect(await lastAudit("task.create")).toMatchObject({ actor: "admin-user", action: "task.create", ok: true, error: null, task: { id: task.id, name: "audited-create" }, details: { name: "audited-create" } });
  });
});

describe("validation: rejected, with code and field, and nothing written", () => {
  test("name format", async () => {
    for (const name of ["has space", "", "x".repeat(101), "ünï", "semi;colon", "slash/name"]) {
      await createRejected(handler(name), "VALIDATION", "input.name");
    }
    // the limits themselves are fine
    await create(handler("x".repeat(100)));
    await create(handler("A-z_0.9"));
  });

  test("duplicate name → CONFLICT (create, and update renaming onto another task)", async () => {
    const first = await create(handler("dup-name"));
    const e = await createRejected(handler("dup-name", { description: "second" }), "CONFLICT");
    expect(e.message).toContain("already exists");
    const other = await create(handler("dup-other"));
    await rejected(UPDATE, { id: other.id, input: { name: "dup-name" } }, "CONFLICT", undefined, "task.update");
    expect((await t.ok(TASK_BY_ID, { id: first.id })).task.name).toBe("dup-name");
  });

  test("exactly one of cron / intervalSeconds / runAt", async () => {
    const cases = [{}, { timezone: "Europe/Berlin" }, { cron: "0 * * * *", intervalSeconds: 60 }, { intervalSeconds: 60, runAt: future() }, { cron: "0 * * * *", runAt: future() }];
    for (const schedule of cases) {
      const e = await createRejected(handler("sched-one", { schedule }), "VALIDATION", "input.schedule");
      expect(e.message).toContain("exactly one of cron, intervalSeconds or runAt");
    }
  });

  test("cron syntax: 5 or 6 fields, valid values", async () => {
    const four = await createRejected(handler("bad-cron", { schedule: { cron: "* * * *" } }), "VALIDATION", "input.schedule.cron");
    expect(four.message).toContain("5 fields");
    const seven = await createRejected(handler("bad-cron", { schedule: { cron: "0 0 0 1 1 * 2030" } }), "VALIDATION", "input.schedule.cron");
    expect(seven.message).toContain("got 7");
    const minutes = await createRejected(handler("bad-cron", { schedule: { cron: "61 * * * *" } }), "VALIDATION", "input.schedule.cron");
    expect(minutes.message).toContain("61");
    await createRejected(handler("bad-cron", { schedule: { cron: "every day" } }), "VALIDATION", "input.schedule.cron");
    await createRejected(handler("bad-cron", { schedule: { cron: "0 0 30 2 *" } }), "VALIDATION", "input.schedule.cron");
  });

  test("time zone must be an IANA name", async () => {
    const e = await createRejected(handler("bad-tz", { schedule: { cron: "0 * * * *", timezone: "Mars/Olympus" } }), "VALIDATION", "input.schedule.timezone");
    expect(e.message).toContain("Mars/Olympus");
    await createRejected(handler("bad-tz", { schedule: { intervalSeconds: 60, timezone: "UTC+8" } }), "VALIDATION", "input.schedule.timezone");
  });

  test("runAt must be in the future", async () => {
    await createRejected(handler("past", { schedule: { runAt: new Date(Date.now() - 60_000).toISOString() } }), "VALIDATION", "input.schedule.runAt");
  });

  test("numbers: positive and in range", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ schedule: { intervalSeconds: 0 } }, "input.schedule.intervalSeconds"],
      [{ schedule: { intervalSeconds: -60 } }, "input.schedule.intervalSeconds"],
      [{ schedule: { intervalSeconds: 2_000_001 } }, "input.schedule.intervalSeconds"],
      [{ maxRetries: -1 }, "input.maxRetries"],
      [{ maxRetries: 101 }, "input.maxRetries"],
      [{ retryDelaySeconds: -1 }, "input.retryDelaySeconds"],
      [{ retryDelaySeconds: 7 * 24 * 3600 + 1 }, "input.retryDelaySeconds"],
      [{ retryBackoff: 0 }, "input.retryBackoff"],
      [{ retryBackoff: 0.5 }, "input.retryBackoff"],
      [{ retryBackoff: -2 }, "input.retryBackoff"],
      [{ retryBackoff: 10.5 }, "input.retryBackoff"],
      [{ timeoutSeconds: 0 }, "input.timeoutSeconds"],
      [{ timeoutSeconds: -5 }, "input.timeoutSeconds"],
      [{ timeoutSeconds: 7 * 24 * 3600 + 1 }, "input.timeoutSeconds"],
    ];
    for (const [extra, field] of cases) await createRejected(handler("bad-number", extra), "VALIDATION", field);
  });

  test("config shape per kind", async () => {
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ kind: "COMMAND", config: {} }, "input.config.command"],
      [{ kind: "COMMAND", config: { command: "" } }, "input.config.command"],
      [{ kind: "COMMAND", config: { command: "ls", tmieout: 5 } }, "input.config", "tmieout"],
      [{ kind: "COMMAND", config: { command: "ls", args: "-la" } }, "input.config.args"],
      [{ kind: "COMMAND", config: { command: "ls", env: { A: 1 } } }, "input.config.env.A"],
      [{ kind: "HTTP", config: { url: "not a url" } }, "input.config.url"],
      [{ kind: "HTTP", config: { url: "ftp://example.com/x" } }, "input.config.url"],
      [{ kind: "HTTP", config: { url: "https://example.com", method: "FETCH" } }, "input.config.method"],
      [{ kind: "HTTP", config: { url: "https://example.com", expectStatus: [300, 200] } }, "input.config.expectStatus"],
      [{ kind: "HANDLER", config: { handler: "no.such.handler" } }, "input.config.handler", "no.such.handler"],
      [{ kind: "HANDLER", config: {} }, "input.config.handler"],
      [{ kind: "HANDLER", config: "demo.sleep" }, "input.config"],
      [{ kind: "WORKFLOW", config: { steps: [] } }, "input.config.steps"],
      [{ kind: "WORKFLOW", config: {} }, "input.config.steps"],
      [{ kind: "WORKFLOW", config: { mode: "SIDEWAYS", steps: [{ id: "a", task: "defaults" }] } }, "input.config.mode"],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "a" }] } }, "input.config.steps.0.task"],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "has space", task: "defaults" }] } }, "input.config.steps.0.id"],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "a", task: "defaults" }, { id: "a", task: "defaults" }] } }, "input.config.steps.1.id"],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "a", task: "defaults" }, { id: "b", task: "defaults", dependsOn: ["zzz"] }] } }, "input.config.steps.1.dependsOn.0"],
      [
        { kind: "WORKFLOW", config: { steps: [{ id: "a", task: "defaults", dependsOn: ["c"] }, { id: "b", task: "defaults", dependsOn: ["a"] }, { id: "c", task: "defaults", dependsOn: ["b"] }] } },
        "input.config.steps",
        "a → b → c → a",
      ],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "a", task: "no_such_task" }] } }, "input.config.steps.0.task", "no_such_task"],
      [{ kind: "WORKFLOW", config: { steps: [{ id: "a", task: "wf-self" }] } }, "input.config.steps.0.task"],
    ];
    for (const [extra, field, inMessage] of cases) {
      const e = await createRejected({ name: "wf-self", ...extra }, "VALIDATION", field);
      if (inMessage) expect(e.message).toContain(inMessage);
    }
  });

  test("updateTask validates the merged result and writes nothing when rejected", async () => {
    const task = await create(handler("upd-target", { schedule: { intervalSeconds: 3600 }, displayName: "Target" }));
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "bad name" }, "input.name"],
      [{ schedule: { cron: "* * * *" } }, "input.schedule.cron"],
      [{ schedule: { cron: "0 * * * *", timezone: "Nowhere/City" } }, "input.schedule.timezone"],
      [{ schedule: { runAt: new Date(Date.now() - 1000).toISOString() } }, "input.schedule.runAt"],
      [{ maxRetries: 1000 }, "input.maxRetries"],
      [{ timeoutSeconds: 0 }, "input.timeoutSeconds"],
      [{ retryBackoff: 0.1 }, "input.retryBackoff"],
      [{ kind: "COMMAND" }, "input.config"], // a new kind needs a new config
      [{ kind: null }, "input.kind"],
      [{ config: null }, "input.config"],
      [{ config: { handler: "demo.sleep", extra: true } }, "input.config"],
      [{ config: { handler: "nope" } }, "input.config.handler"],
    ];
    for (const [input, field] of cases) await rejected(UPDATE, { id: task.id, input }, "VALIDATION", field, "task.update");
    expect((await t.ok(TASK_BY_ID, { id: task.id })).task).toEqual(task);
  });

  test("unknown or wrong-type ids", async () => {
    const missing = encodeId("Task", 999_999);
    await rejected(UPDATE, { id: missing, input: { displayName: "x" } }, "NOT_FOUND", undefined, "task.update");
    await rejected(DELETE, { id: missing }, "NOT_FOUND", undefined, "task.delete");
    for (const op of ["enableTask", "disableTask", "pauseTask", "resumeTask"] as const) await rejected(SWITCH(op), { id: missing }, "NOT_FOUND");
    await rejected(UPDATE, { id: encodeId("Execution", 1), input: { displayName: "x" } }, "VALIDATION", "id");
    await rejected(DELETE, { id: "not-an-id" }, "VALIDATION", "id");
  });
});

describe("updateTask", () => {
  test("changes only the given fields; nextRunAt stays when the schedule does", async () => {
    const task = await create(handler("upd-partial", { schedule: { intervalSeconds: 3600 }, description: "keep me" }));
    const updated = await update(task.id, { displayName: "Partial", maxRetries: 2 });
    expect(updated).toMatchObject({ ...task, displayName: "Partial", maxRetries: 2, updatedAt: expect.any(String) });
    expect(updated.nextRunAt).toBe(task.nextRunAt);
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(task.updatedAt).getTime());
    expect(await lastAudit("task.update")).toMatchObject({ ok: true, actor: "admin-user", task: { id: task.id }, details: { fields: ["displayName", "maxRetries"] } });
  });

  test("a new schedule re-plans nextRunAt; schedule: null clears it and nextRunAt", async () => {
    const task = await create(handler("upd-schedule", { schedule: { intervalSeconds: 3600 } }));
    const cron = await update(task.id, { schedule: { cron: "0 0 1 1 *" } });
    expect(cron.schedule).toEqual({ cron: "0 0 1 1 *", intervalSeconds: null, runAt: null, timezone: "UTC" });
    expect(cron.nextRunAt).toMatch(/-01-01T00:00:00\.000Z$/);
    const cleared = await update(task.id, { schedule: null });
    expect(cleared.schedule).toBeNull();
    expect(cleared.nextRunAt).toBeNull();
    const row = await t.app.db.prisma.task.findFirstOrThrow({ where: { name: "upd-schedule" } });
    expect(row).toMatchObject({ cron: null, intervalSeconds: null, runAt: null, nextRunAt: null });
    // omitting schedule leaves it as it is
    expect((await update(task.id, { description: "still manual" })).schedule).toBeNull();
  });

  test("kind and config change together; clearing nullable fields with null", async () => {
    const task = await create(handler("upd-kind", { timeoutSeconds: 10, displayName: "D" }));
    const updated = await update(task.id, { kind: "COMMAND", config: { command: "true" }, timeoutSeconds: null, displayName: null });
    expect(updated).toMatchObject({ kind: "COMMAND", config: { command: "true" }, timeoutSeconds: null, displayName: null });
  });

  test("renaming a task keeps the workflows that use it pointing at it", async () => {
    const step = await create(handler("wf-step-old"));
    const wf = await create({ name: "wf-renames", kind: "WORKFLOW", config: { steps: [{ id: "s", task: "wf-step-old" }] } });
    await update(step.id, { name: "wf-step-new" });
    const after = (await t.ok(TASK_BY_ID, { id: wf.id })).task;
    expect(after.config.steps[0].task).toBe("wf-step-new");
  });

  test("a workflow cannot contain itself through another workflow", async () => {
    const leaf = await create(handler("loop-leaf"));
    const outer = await create({ name: "loop-outer", kind: "WORKFLOW", config: { steps: [{ id: "l", task: "loop-leaf" }] } });
    await create({ name: "loop-inner", kind: "WORKFLOW", config: { steps: [{ id: "o", task: "loop-outer" }] } });
    const e = await rejected(UPDATE, { id: outer.id, input: { config: { steps: [{ id: "i", task: "loop-inner" }] } } }, "VALIDATION", "input.config.steps.0.task", "task.update");
    expect(e.message).toContain("loop-outer → loop-inner → loop-outer");
    expect(leaf.id).toBeTruthy();
  });
});

describe("enable / disable / pause / resume", () => {
  test("switch the flags and re-plan nextRunAt from now", async () => {
    const task = await create(handler("switches", { schedule: { intervalSeconds: 3600 } }));
    expect(task.nextRunAt).not.toBeNull();

    const paused = await flip("pauseTask", task.id);
    expect(paused).toMatchObject({ paused: true, enabled: true, nextRunAt: null });
    expect(await lastAudit("task.pause")).toMatchObject({ ok: true, actor: "operator-user", task: { id: task.id } });

    const before = Date.now();
    const resumed = await flip("resumeTask", task.id);
    expect(resumed).toMatchObject({ paused: false, enabled: true });
    const next = new Date(resumed.nextRunAt).getTime();
    expect(next).toBeGreaterThanOrEqual(before + HOUR);
    expect(next).toBeLessThanOrEqual(Date.now() + HOUR);
    expect(await lastAudit("task.resume")).toMatchObject({ ok: true, task: { id: task.id } });

    const disabled = await flip("disableTask", task.id);
    expect(disabled).toMatchObject({ enabled: false, paused: false, nextRunAt: null });
    expect(await lastAudit("task.disable")).toMatchObject({ ok: true, task: { id: task.id } });

    // paused while disabled: still no next fire; enabling a paused task: still none
    expect(await flip("pauseTask", task.id)).toMatchObject({ enabled: false, paused: true, nextRunAt: null });
    expect(await flip("enableTask", task.id)).toMatchObject({ enabled: true, paused: true, nextRunAt: null });
    expect(await lastAudit("task.enable")).toMatchObject({ ok: true, task: { id: task.id } });
    const back = await flip("resumeTask", task.id);
    expect(back).toMatchObject({ enabled: true, paused: false });
    expect(back.nextRunAt).not.toBeNull();
  });

  test("a cron task re-plans to its next fire; a repeated switch changes nothing", async () => {
    const task = await create(handler("switch-cron", { schedule: { cron: "0 0 1 1 *" } }));
    expect((await flip("disableTask", task.id)).nextRunAt).toBeNull();
    const enabled = await flip("enableTask", task.id);
    expect(enabled.nextRunAt).toBe(task.nextRunAt);
    expect((await flip("enableTask", task.id)).nextRunAt).toBe(task.nextRunAt);
  });

  test("a manual-only task has no next fire whatever the switches", async () => {
    const task = await create(handler("switch-manual"));
    expect((await flip("pauseTask", task.id)).nextRunAt).toBeNull();
    expect((await flip("resumeTask", task.id)).nextRunAt).toBeNull();
  });

  test("updating the schedule of a paused task keeps it unplanned until resumed", async () => {
    const task = await create(handler("paused-update", { schedule: { intervalSeconds: 3600 } }));
    await flip("pauseTask", task.id);
    const updated = await update(task.id, { schedule: { intervalSeconds: 7200 } });
    expect(updated).toMatchObject({ paused: true, nextRunAt: null, schedule: { intervalSeconds: 7200 } });
    const before = Date.now();
    const resumed = await flip("resumeTask", task.id);
    expect(new Date(resumed.nextRunAt).getTime()).toBeGreaterThanOrEqual(before + 2 * HOUR);
  });
});

describe("deleteTask", () => {
  test("deletes the task and returns its id; audited", async () => {
    const task = await create(handler("to-delete"));
    expect((await t.ok(DELETE, { id: task.id })).deleteTask).toBe(task.id);
    expect((await t.ok(TASK_BY_ID, { id: task.id })).task).toBeNull();
    expect(await t.app.db.prisma.task.findFirst({ where: { name: "to-delete" } })).toBeNull();
    expect(await lastAudit("task.delete")).toMatchObject({ ok: true, actor: "admin-user", error: null, details: { id: task.id } });
  });

  test("refused while a workflow uses the task (CONFLICT)", async () => {
    const step = await create(handler("del-used"));
    await create({ name: "del-user-wf", kind: "WORKFLOW", config: { steps: [{ id: "s", task: "del-used" }] } });
    const e = await rejected(DELETE, { id: step.id }, "CONFLICT", undefined, "task.delete");
    expect(e.message).toContain("del-user-wf");
    expect(await lastAudit("task.delete")).toMatchObject({ ok: false, task: { id: step.id } });
  });

  test("refused while the task has a pending or running execution (CONFLICT)", async () => {
    const task = await create({ name: "del-busy", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const exec = await trigger(t, task.id);
    const e = await rejected(DELETE, { id: task.id }, "CONFLICT", undefined, "task.delete");
    expect(e.message).toContain("pending or running");
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: exec.id }, "operator");
    await waitFor(async () => {
      const row = await t.app.db.prisma.execution.findFirst({ where: { task: { name: "del-busy" } } });
      return row && !["PENDING", "RUNNING"].includes(row.status);
    }, 10_000, "the cancelled run to finish");
    expect((await t.ok(DELETE, { id: task.id })).deleteTask).toBe(task.id);
  });
});

describe("queries", () => {
  test("task(id) and task(name); unknown → null; exactly one of id or name", async () => {
    const task = await create(handler("lookup", { description: "find me" }));
    expect((await t.ok(TASK_BY_ID, { id: task.id }, "viewer")).task).toEqual(task);
    expect((await t.ok(TASK_BY_NAME, { name: "lookup" }, "viewer")).task).toEqual(task);
    expect((await t.ok(TASK_BY_NAME, { name: "no-such-task" }, "viewer")).task).toBeNull();
    expect((await t.ok(TASK_BY_ID, { id: encodeId("Task", 999_999) }, "viewer")).task).toBeNull();
    for (const q of [`{ task { id } }`, `query($id: ID) { task(id: $id, name: "lookup") { id } }`]) {
      const r = await t.gql(q, { id: task.id }, "viewer");
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "id" });
    }
    const wrongType = await t.gql(TASK_BY_ID, { id: encodeId("Execution", 1) }, "viewer");
    expect(wrongType.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "id" });
  });

  test("node(id) resolves a Task", async () => {
    const task = await create(handler("as-node"));
    const data = await t.ok(`query($id: ID!) { node(id: $id) { __typename id ... on Task { name kind } } }`, { id: task.id }, "viewer");
    expect(data.node).toEqual({ __typename: "Task", id: task.id, name: "as-node", kind: "HANDLER" });
    const gone = await t.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: encodeId("Task", 999_999) }, "viewer");
    expect(gone.node).toBeNull();
  });

  test("viewer: who the token says", async () => {
    expect((await t.ok(`{ viewer { sub role } }`, {}, "viewer")).viewer).toEqual({ sub: "viewer-user", role: "viewer" });
    expect((await t.ok(`{ viewer { sub role } }`, {}, "operator")).viewer).toEqual({ sub: "operator-user", role: "operator" });
    expect((await t.ok(`{ viewer { sub role } }`, {}, "admin")).viewer).toEqual({ sub: "admin-user", role: "admin" });
  });

  test("tasks: forward pagination across pages with pageInfo and totalCount", async () => {
    const made = [];
    for (let i = 1; i <= 5; i++) made.push(await create(handler(`pagex${i}`)));
    const filter = { search: "pagex" };
    const page = async (vars: Record<string, unknown>) => (await t.ok(TASKS, { filter, ...vars }, "viewer")).tasks;

    const p1 = await page({ first: 2 });
    expect(p1.totalCount).toBe(5);
    expect(p1.edges.map((e: any) => e.node.name)).toEqual(["pagex1", "pagex2"]);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: p1.edges[0].cursor, endCursor: p1.edges[1].cursor });

    const p2 = await page({ first: 2, after: p1.pageInfo.endCursor });
    expect(p2.totalCount).toBe(5);
    expect(p2.edges.map((e: any) => e.node.name)).toEqual(["pagex3", "pagex4"]);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, endCursor: p2.edges[1].cursor });

    const p3 = await page({ first: 2, after: p2.pageInfo.endCursor });
    expect(p3.edges.map((e: any) => e.node.name)).toEqual(["pagex5"]);
    expect(p3.pageInfo.hasNextPage).toBe(false);
    expect(p3.totalCount).toBe(5);

    const empty = await page({ first: 2, after: p3.pageInfo.endCursor });
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo.hasNextPage).toBe(false);
    expect(empty.totalCount).toBe(5);

    // every task once, in id order, ids as created
    expect([...p1.edges, ...p2.edges, ...p3.edges].map((e: any) => e.node.id)).toEqual(made.map((m) => m.id));

    // backwards from the end too (Relay's last/before)
    const back = await page({ last: 2, before: p3.edges[0].cursor });
    expect(back.edges.map((e: any) => e.node.name)).toEqual(["pagex3", "pagex4"]);
    expect(back.pageInfo.hasPreviousPage).toBe(true);
  });

  test("tasks without a filter: every task once across pages, totalCount matches the table", async () => {
    const rows = await t.app.db.prisma.task.findMany({ orderBy: { id: "asc" } });
    expect(rows.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await t.ok(TASKS, { first: 7, after }, "viewer")).tasks;
      expect(page.totalCount).toBe(rows.length);
      seen.push(...page.edges.map((e: any) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(rows.map((r) => r.name));
    // without first: the default page size (20)
    expect((await t.ok(TASKS, {}, "viewer")).tasks.edges).toHaveLength(Math.min(20, rows.length));
  });

  test("bad pagination arguments are the client's fault (VALIDATION), not INTERNAL", async () => {
    for (const vars of [{ first: -1 }, { after: "not-a-cursor", first: 2 }]) {
      const r = await t.gql(TASKS, vars, "viewer");
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r.errors)).toBe("VALIDATION");
    }
  });

  test("tasks filters: kind, enabled, paused, search (name, displayName, description, case-insensitive)", async () => {
    const cmd = await create({ name: "fltx-cmd", kind: "COMMAND", config: { command: "true" }, displayName: "Nightly STOCK Sync" });
    const http = await create({ name: "fltx-http", kind: "HTTP", config: { url: "http://127.0.0.1:9/x" }, description: "Pings the Warehouse" });
    const off = await create(handler("fltx-off", { enabled: false }));
    const paused = await create(handler("fltx-paused"));
    await flip("pauseTask", paused.id);

    const names = async (filter: Record<string, unknown>) => {
      const r = (await t.ok(TASKS, { first: 100, filter }, "viewer")).tasks;
      expect(r.totalCount).toBe(r.edges.length);
      return r.edges.map((e: any) => e.node.name);
    };
    expect(await names({ search: "fltx" })).toEqual(["fltx-cmd", "fltx-http", "fltx-off", "fltx-paused"]);
    expect(await names({ search: "FLTX", kind: "COMMAND" })).toEqual(["fltx-cmd"]);
    expect(await names({ search: "fltx", kind: "HTTP" })).toEqual(["fltx-http"]);
    expect(await names({ search: "fltx", kind: "WORKFLOW" })).toEqual([]);
    expect(await names({ search: "fltx", enabled: false })).toEqual(["fltx-off"]);
    expect(await names({ search: "fltx", enabled: true })).toEqual(["fltx-cmd", "fltx-http", "fltx-paused"]);
    expect(await names({ search: "fltx", paused: true })).toEqual(["fltx-paused"]);
    expect(await names({ search: "fltx", paused: false, enabled: true, kind: "HANDLER" })).toEqual([]);
    expect(await names({ search: "stock sync" })).toEqual(["fltx-cmd"]);
    expect(await names({ search: "WAREHOUSE" })).toEqual(["fltx-http"]);
    expect(await names({ search: "no such thing anywhere" })).toEqual([]);

    // counts match the database for the flag filters over every task
    const count = async (filter: Record<string, unknown>) => (await t.ok(TASKS, { first: 1, filter }, "viewer")).tasks.totalCount;
    const prisma = t.app.db.prisma;
    expect(await count({ kind: "HANDLER" })).toBe(await prisma.task.count({ where: { kind: "HANDLER" } }));
    expect(await count({ enabled: false })).toBe(await prisma.task.count({ where: { enabled: false } }));
    expect(await count({ paused: true })).toBe(await prisma.task.count({ where: { paused: true } }));
    expect([cmd, http, off].every((x) => x.id)).toBe(true);
  });

  test("auditEvents: newest first, by task", async () => {
    const task = await create(handler("audit-trail"));
    await flip("pauseTask", task.id);
    await flip("resumeTask", task.id);
    await update(task.id, { description: "d" });
    const data = await t.ok(AUDIT, { taskId: task.id, first: 10 }, "viewer");
    expect(data.auditEvents.totalCount).toBe(4);
    expect(data.auditEvents.edges.map((e: any) => [e.node.action, e.node.ok])).toEqual([
      ["task.update", true],
      ["task.resume", true],
      ["task.pause", true],
      ["task.create", true],
    ]);
  });
});
