// Workflows end to end through the GraphQL API (issue #4): validation when saved (cycles named,
// references, self-reference, rename and delete of a referenced task), SERIAL order and params,
// PARALLEL overlap, onFailure STOP and CONTINUE on a diamond, step retries and timeouts, disabled
// step tasks, cancelling / timing out / marking failed the parent, nested workflows, progress and
// subscriptions on the parent, and a restart mid-workflow that resumes and runs each step once.
// Steps are HANDLER tasks (demo.sleep, demo.fail) with short sleeps; overlap is checked by
// comparing start/finish times, never against a wall-clock budget.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  collect,
  createTask,
  getExecution,
  startTestApp,
  trigger,
  waitFor,
  waitForFinal,
  type GqlResult,
  type TestApp,
} from "./helpers/app.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";


let t: TestApp;
let seq = 0;
const unique = (base: string) => `${base}_${++seq}`;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

interface Step {
  id: string;
  task: string;
  dependsOn?: string[];
  params?: Record<string, unknown>;
}

/** a demo.sleep task; ALLOW so that parallel steps of the same task do not wait for each other */
async function sleepTask(app: TestApp, base = "sleep", extra: Record<string, unknown> = {}) {
  return createTask(app, { name: unique(base), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 50 } }, overlapPolicy: "ALLOW", ...extra });
}

async function failTask(app: TestApp, extra: Record<string, unknown> = {}) {
  return createTask(app, { name: unique("fail"), kind: "HANDLER", config: { handler: "demo.fail", defaults: { message: "boom" } }, overlapPolicy: "ALLOW", ...extra });
}

async function workflowTask(app: TestApp, steps: Step[], opts: { mode?: string; onFailure?: string; name?: string; extra?: Record<string, unknown> } = {}) {
  return createTask(app, {
    name: opts.name ?? unique("wf"),
    kind: "WORKFLOW",
    config: { mode: opts.mode ?? "SERIAL", onFailure: opts.onFailure ?? "STOP", steps },
    ...opts.extra,
  });
}

const CHILD_FIELDS = `id stepId status trigger attempt error params result startedAt finishedAt cancelRequested retryOf { id } task { name }`;

async function childrenOf(app: TestApp, id: string): Promise<any[]> {
  const data = await app.ok(
    `query($id: ID!) { execution(id: $id) { children(first: 100) { totalCount edges { node { ${CHILD_FIELDS} } } } } }`,
    { id },
    "viewer",
  );
  const conn = data.execution.children;
  expect(conn.totalCount).toBe(conn.edges.length);
  return conn.edges.map((e: any) => e.node);
}

/** the latest attempt of each step */
function byStep(children: any[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const c of children) if (!out[c.stepId] || c.attempt > out[c.stepId].attempt) out[c.stepId] = c;
  return out;
}

const statuses = (children: any[]) => Object.fromEntries(Object.entries(byStep(children)).map(([k, v]) => [k, v.status]));
const time = (iso: string) => new Date(iso).getTime();

async function tasksSnapshot(app: TestApp): Promise<unknown> {
  const data = await app.ok(`{ tasks(first: 500) { totalCount edges { node { id name kind config enabled updatedAt } } } }`);
  return data.tasks;
}

function expectError(r: GqlResult, code: string, field?: string): string {
  expect(r.errors?.length, JSON.stringify(r)).toBeGreaterThan(0);
  const e = r.errors![0]!;
  expect(e.extensions?.code, e.message).toBe(code);
  if (field !== undefined) expect(e.extensions?.field).toBe(field);
  return e.message;
}

const CREATE = `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id name config } }`;
const DELETE = `mutation($id: ID!) { deleteTask(id: $id) }`;

// ── validation when saved ────────────────────────────────────────────────────────────────────

describe("validation", () => {
  test("a cycle is refused with the cycle named, on create and on update, and nothing is written", async () => {
    const s = await sleepTask(t);
    const before = await tasksSnapshot(t);
    const cyclic = [
      { id: "a", task: s.name, dependsOn: ["c"] },
      { id: "b", task: s.name, dependsOn: ["a"] },
      { id: "c", task: s.name, dependsOn: ["b"] },
    ];
    const r = await t.gql(CREATE, { input: { name: unique("cyclic"), kind: "WORKFLOW", config: { mode: "SERIAL", steps: cyclic } } });
    expect(expectError(r, "VALIDATION", "input.config.steps")).toContain("a → b → c → a");
    expect(await tasksSnapshot(t)).toEqual(before);

    const wf = await workflowTask(t, [
      { id: "a", task: s.name },
      { id: "b", task: s.name, dependsOn: ["a"] },
    ]);
    const saved = await tasksSnapshot(t);
    const u = await t.gql(UPDATE, {
      id: wf.id,
      input: { config: { steps: [{ id: "a", task: s.name, dependsOn: ["b"] }, { id: "b", task: s.name, dependsOn: ["a"] }] } },
    });
    expect(expectError(u, "VALIDATION", "input.config.steps")).toMatch(/a → b → a|b → a → b/);
    expect(await tasksSnapshot(t)).toEqual(saved);
  });

  test("references: a missing task, an unknown dependsOn, duplicate ids, the workflow itself (directly or nested)", async () => {
    const s = await sleepTask(t);
    const before = await tasksSnapshot(t);
    const create = (name: string, steps: Step[]) => t.gql(CREATE, { input: { name, kind: "WORKFLOW", config: { steps } } });

    expect(expectError(await create(unique("wf"), [{ id: "a", task: "no_such_task" }]), "VALIDATION", "input.config.steps.0.task")).toContain("no_such_task");
    expect(
      expectError(await create(unique("wf"), [{ id: "a", task: s.name }, { id: "b", task: s.name, dependsOn: ["nope"] }]), "VALIDATION", "input.config.steps.1.dependsOn.0"),
    ).toContain('"nope"');
    expect(expectError(await create(unique("wf"), [{ id: "a", task: s.name }, { id: "a", task: s.name }]), "VALIDATION", "input.config.steps.1.id")).toContain('"a"');
    const selfName = unique("self");
    expect(expectError(await create(selfName, [{ id: "me", task: selfName }]), "VALIDATION", "input.config.steps.0.task")).toContain(selfName);
    expect(await tasksSnapshot(t)).toEqual(before);

    // through a nested workflow: inner is used by outer; inner may not use outer
    const inner = await workflowTask(t, [{ id: "work", task: s.name }]);
    const outer = await workflowTask(t, [{ id: "nested", task: inner.name }]);
    const saved = await tasksSnapshot(t);
    const u = await t.gql(UPDATE, { id: inner.id, input: { config: { steps: [{ id: "work", task: s.name }, { id: "loop", task: outer.name }] } } });
    const message = expectError(u, "VALIDATION", "input.config.steps.1.task");
    expect(message).toContain(`${inner.name} → ${outer.name} → ${inner.name}`);
    // and renaming it does not sneak a loop in either
    const self = await t.gql(UPDATE, { id: inner.id, input: { name: unique("renamed"), config: { steps: [{ id: "x", task: inner.name }] } } });
    expectError(self, "VALIDATION", "input.config.steps.0.task");
    expect(await tasksSnapshot(t)).toEqual(saved);
  });

  test("renaming a referenced task rewrites its workflows; deleting it is refused naming them", async () => {
    const s = await sleepTask(t);
    const wf1 = await workflowTask(t, [{ id: "a", task: s.name }]);
    const wf2 = await workflowTask(t, [{ id: "first", task: s.name }, { id: "second", task: s.name, dependsOn: ["first"] }]);
    const newName = unique("renamed_sleep");
    await t.ok(UPDATE, { id: s.id, input: { name: newName } });
    const reread = async (id: string) => (await t.ok(`query($id: ID!) { node(id: $id) { ... on Task { config } } }`, { id })).node.config;
    expect((await reread(wf1.id)).steps.map((x: Step) => x.task)).toEqual([newName]);
    expect((await reread(wf2.id)).steps.map((x: Step) => x.task)).toEqual([newName, newName]);
    // the renamed workflow still runs
    const run = await trigger(t, wf1.id);
    expect((await waitForFinal(t, run.id)).status).toBe("SUCCEEDED");

    const before = await tasksSnapshot(t);
    const d = await t.gql(DELETE, { id: s.id });
    const message = expectError(d, "CONFLICT");
    expect(message).toContain(wf1.name);
    expect(message).toContain(wf2.name);
    expect(await tasksSnapshot(t)).toEqual(before);
  });
});

// ── running ──────────────────────────────────────────────────────────────────────────────────

describe("execution", () => {
  test("SERIAL: one step at a time in topological order, params merged, progress and step transitions on the parent", async () => {
    const s = await sleepTask(t);
    // declared x, y, z with x after y: the order is y (first ready), x (declared first), z
    const wf = await workflowTask(t, [
      { id: "x", task: s.name, dependsOn: ["y"], params: { ms: 150 } },
      // y, the first step, lasts long enough for the subscriber (which can only subscribe once the
      // trigger answered, a second or more on a loaded machine) to see it run
      { id: "y", task: s.name, params: { ms: 2500 } },
      { id: "z", task: s.name, params: { ms: 999 } },
    ]);
    // run params: `tag` is shared by every step, `z` holds z's own params
    const run = await trigger(t, wf.id, { tag: "nightly", z: { ms: 120 } });
    const events = await collect(
      t.ws(),
      `subscription($id: ID!) { executionUpdated(id: $id) { status progress progressMessage processedItems totalItems } }`,
      { id: run.id },
    );
    const done = await waitForFinal(t, run.id);
    expect(done).toMatchObject({ status: "SUCCEEDED", progress: 1, processedItems: 3, totalItems: 3, error: null });
    expect(done.result).toEqual({ steps: { y: "SUCCEEDED", x: "SUCCEEDED", z: "SUCCEEDED" } });

    const children = await childrenOf(t, run.id);
    expect(children.map((c) => c.stepId)).toEqual(["y", "x", "z"]);
    expect(children.every((c) => c.trigger === "WORKFLOW" && c.status === "SUCCEEDED" && c.task.name === s.name)).toBe(true);
    const [y, x, z] = children;
    expect(time(y.finishedAt)).toBeLessThanOrEqual(time(x.startedAt));
    expect(time(x.finishedAt)).toBeLessThanOrEqual(time(z.startedAt));
    expect(x.params).toEqual({ ms: 150, tag: "nightly" });
    expect(z.params).toEqual({ ms: 120, tag: "nightly" });
    expect(z.result).toEqual({ sleptMs: 120 });

    // the subscriber saw each step run, in order, and progress only grow
    expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", progress: 1 });
    const messages = events.map((e) => e.progressMessage);
    const seen = ["running: y", "running: x", "running: z"].map((m) => messages.indexOf(m));
    expect(seen.every((i) => i >= 0), JSON.stringify(messages)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const progress = events.map((e) => e.progress ?? 0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  test("PARALLEL: independent steps overlap in time, the join waits for both", async () => {
    const s = await sleepTask(t);
    const wf = await workflowTask(
      t,
      [
        { id: "a", task: s.name, params: { ms: 400 } },
        { id: "b", task: s.name, params: { ms: 400 } },
        { id: "join", task: s.name, dependsOn: ["a", "b"] },
      ],
      { mode: "PARALLEL" },
    );
    const run = await trigger(t, wf.id);
    // the parent names both running steps while they run
    await waitFor(async () => (await getExecution(t, run.id)).progressMessage === "running: a, b", 10_000, "both steps running");
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("SUCCEEDED");
    const steps = byStep(await childrenOf(t, run.id));
    const { a, b, join } = steps;
    expect(time(a.startedAt)).toBeLessThan(time(b.finishedAt));
    expect(time(b.startedAt)).toBeLessThan(time(a.finishedAt));
    expect(time(join.startedAt)).toBeGreaterThanOrEqual(Math.max(time(a.finishedAt), time(b.finishedAt)));
  });

  // the diamond: a → (b fails, c) → d, plus e after c only
  async function diamond(mode: string, onFailure: string) {
    const s = await sleepTask(t);
    const f = await failTask(t);
    return workflowTask(
      t,
      [
        { id: "a", task: s.name },
        { id: "b", task: f.name, dependsOn: ["a"] },
        { id: "c", task: s.name, dependsOn: ["a"], params: { ms: onFailure === "STOP" && mode === "PARALLEL" ? 5000 : 200 } },
        { id: "d", task: s.name, dependsOn: ["b", "c"] },
        { id: "e", task: s.name, dependsOn: ["c"] },
      ],
      { mode, onFailure },
    );
  }

  test.each(["PARALLEL", "SERIAL"])("%s onFailure STOP: running steps cancelled, not-started ones SKIPPED, parent FAILED naming the step", async (mode) => {
    const wf = await diamond(mode, "STOP");
    const run = await trigger(t, wf.id);
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toContain('step "b" failed: boom');
    const children = await childrenOf(t, run.id);
    await waitFor(async () => (await childrenOf(t, run.id)).every((c) => !["PENDING", "RUNNING"].includes(c.status)), 10_000, "steps to stop");
    const final = byStep(await childrenOf(t, run.id));
    // PARALLEL: c was running beside b and is cancelled; SERIAL: c had not started (b came first)
    expect(statuses(Object.values(final))).toEqual({ a: "SUCCEEDED", b: "FAILED", c: mode === "PARALLEL" ? "CANCELLED" : "SKIPPED", d: "SKIPPED", e: "SKIPPED" });
    expect(final.d.error).toContain('step "b" failed');
    // every step listed once
    expect(children.length).toBe(5);
    expect(done.progress).toBe(1);
  });

  test.each(["PARALLEL", "SERIAL"])("%s onFailure CONTINUE: everything not downstream of the failure runs, the rest SKIPPED, parent FAILED", async (mode) => {
    const wf = await diamond(mode, "CONTINUE");
    const run = await trigger(t, wf.id);
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toContain('step "b" failed');
    const children = await childrenOf(t, run.id);
    expect(children.length).toBe(5);
    expect(statuses(children)).toEqual({ a: "SUCCEEDED", b: "FAILED", c: "SUCCEEDED", d: "SKIPPED", e: "SUCCEEDED" });
    expect(byStep(children).d.error).toContain('"b"');
    expect(done.result.steps).toEqual({ a: "SUCCEEDED", b: "FAILED", c: "SUCCEEDED", d: "SKIPPED", e: "SUCCEEDED" });
  });

  test("CONTINUE without failures: SUCCEEDED; a step's retries and timeout apply to its child execution", async () => {
    const s = await sleepTask(t);
    const ok = await workflowTask(t, [{ id: "one", task: s.name }, { id: "two", task: s.name, dependsOn: ["one"] }], { onFailure: "CONTINUE", mode: "PARALLEL" });
    expect((await waitForFinal(t, (await trigger(t, ok.id)).id)).status).toBe("SUCCEEDED");

    const flaky = await failTask(t, { maxRetries: 1, retryDelaySeconds: 0 });
    const slow = await sleepTask(t, "slow", { timeoutSeconds: 1 });
    const wf = await workflowTask(t, [{ id: "flaky", task: flaky.name }, { id: "slow", task: slow.name, params: { ms: 10_000 } }], { mode: "PARALLEL", onFailure: "CONTINUE" });
    const run = await trigger(t, wf.id);
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toContain("2 steps failed");
    const children = await childrenOf(t, run.id);
    const attempts = children.filter((c) => c.stepId === "flaky");
    expect(attempts.map((c) => [c.attempt, c.trigger, c.status])).toEqual([
      [1, "WORKFLOW", "FAILED"],
      [2, "RETRY", "FAILED"],
    ]);
    expect(attempts[1].retryOf.id).toBe(attempts[0].id);
    expect(byStep(children).slow).toMatchObject({ status: "TIMED_OUT", attempt: 1 });
  });

  test("a disabled step task fails the run at that step, clearly", async () => {
    const s = await sleepTask(t);
    const off = await sleepTask(t, "off");
    const wf = await workflowTask(t, [{ id: "first", task: s.name }, { id: "off", task: off.name, dependsOn: ["first"] }, { id: "last", task: s.name, dependsOn: ["off"] }]);
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: off.id }, "operator");
    const run = await trigger(t, wf.id);
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toContain(`step "off" failed: task "${off.name}" is disabled`);
    expect(statuses(await childrenOf(t, run.id))).toEqual({ first: "SUCCEEDED", off: "FAILED", last: "SKIPPED" });
  });

  test("cancelling the parent cancels its running steps and skips the rest", async () => {
    const s = await sleepTask(t);
    const wf = await workflowTask(
      t,
      [
        { id: "a", task: s.name, params: { ms: 20_000 } },
        { id: "b", task: s.name, params: { ms: 20_000 } },
        { id: "after", task: s.name, dependsOn: ["a", "b"] },
      ],
      { mode: "PARALLEL" },
    );
    const run = await trigger(t, wf.id);
    await waitFor(async () => (await childrenOf(t, run.id)).filter((c) => c.status === "RUNNING").length === 2, 10_000, "both steps running");
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: run.id }, "operator");
    const done = await waitForFinal(t, run.id);
    expect(done.status).toBe("CANCELLED");
    const children = await childrenOf(t, run.id);
    expect(statuses(children)).toEqual({ a: "CANCELLED", b: "CANCELLED", after: "SKIPPED" });
    for (const c of children) expect(time(c.finishedAt)).toBeLessThanOrEqual(time(done.finishedAt));
  });

  test("the parent's own timeout: TIMED_OUT, running steps cancelled", async () => {
    const s = await sleepTask(t);
    const wf = await workflowTask(t, [{ id: "long", task: s.name, params: { ms: 20_000 } }, { id: "next", task: s.name, dependsOn: ["long"] }], {
      extra: { timeoutSeconds: 1 },
    });
    const run = await trigger(t, wf.id);
    const done = await waitForFinal(t, run.id);
    expect(done).toMatchObject({ status: "TIMED_OUT", error: "timed out after 1 s" });
    await waitFor(async () => {
      const st = statuses(await childrenOf(t, run.id));
      return st.long === "CANCELLED" && st.next === "SKIPPED";
    }, 10_000, "steps cancelled and skipped");
  });

  test("a parent marked failed takes its running steps with it", async () => {
    const s = await sleepTask(t);
    const wf = await workflowTask(t, [{ id: "long", task: s.name, params: { ms: 20_000 } }, { id: "next", task: s.name, dependsOn: ["long"] }]);
    const run = await trigger(t, wf.id);
    await waitFor(async () => (await childrenOf(t, run.id))[0]?.status === "RUNNING", 10_000, "step running");
    await t.ok(`mutation($id: ID!) { markExecutionFailed(id: $id, reason: "enough") { id } }`, { id: run.id });
    await waitFor(async () => {
      const st = statuses(await childrenOf(t, run.id));
      return st.long === "CANCELLED" && st.next === "SKIPPED";
    }, 10_000, "steps cancelled and skipped");
    expect((await getExecution(t, run.id)).status).toBe("FAILED");
  });

  test("a nested workflow runs as a step", async () => {
    const s = await sleepTask(t);
    const inner = await workflowTask(t, [{ id: "p", task: s.name }, { id: "q", task: s.name, dependsOn: ["p"] }], { mode: "PARALLEL" });
    const outer = await workflowTask(t, [{ id: "pre", task: s.name }, { id: "sub", task: inner.name, dependsOn: ["pre"] }]);
    const run = await trigger(t, outer.id);
    expect((await waitForFinal(t, run.id)).status).toBe("SUCCEEDED");
    const sub = byStep(await childrenOf(t, run.id)).sub;
    expect(sub).toMatchObject({ status: "SUCCEEDED", trigger: "WORKFLOW" });
    expect(statuses(await childrenOf(t, sub.id))).toEqual({ p: "SUCCEEDED", q: "SUCCEEDED" });
  });
});

// ── restarts and several instances ───────────────────────────────────────────────────────────

describe("state in the database", () => {
  test("a restart mid-workflow resumes where it stopped: every step created once and succeeding once", async () => {
    const db = await createTestDatabase({ persistent: true });
    try {
      // a short grace: the running step is cancelled by the shutdown ("cancelled: instance
      // shutting down"), which is no verdict on it — the engine gives it a new attempt
      const first = await startTestApp({ db, config: { shutdownGraceMs: 100 } });
      let runId: string;
      try {
        const s = await sleepTask(first);
        const wf = await workflowTask(first, [
          { id: "a", task: s.name, params: { ms: 100 } },
          { id: "b", task: s.name, dependsOn: ["a"], params: { ms: 1500 } },
          { id: "c", task: s.name, dependsOn: ["b"], params: { ms: 100 } },
        ]);
        runId = (await trigger(first, wf.id)).id;
        await waitFor(async () => byStep(await childrenOf(first, runId)).b?.status === "RUNNING", 10_000, "step b running");
      } finally {
        await first.stop();
      }

      const second = await startTestApp({ db });
      try {
        const done = await waitForFinal(second, runId, 20_000);
        expect(done.status).toBe("SUCCEEDED");
        const children = await childrenOf(second, runId);
        for (const step of ["a", "b", "c"]) {
          const rows = children.filter((c) => c.stepId === step);
          expect(rows.filter((c) => c.trigger === "WORKFLOW"), step).toHaveLength(1);
          expect(rows.filter((c) => c.status === "SUCCEEDED"), step).toHaveLength(1);
        }
        expect(children.filter((c) => c.stepId === "a")).toHaveLength(1);
        expect(children.filter((c) => c.stepId === "c")).toHaveLength(1);
        const b = children.filter((c) => c.stepId === "b");
        expect(b.map((c) => [c.attempt, c.trigger, c.status, c.error])).toEqual([
          [1, "WORKFLOW", "CANCELLED", "cancelled: instance shutting down"],
          [2, "RETRY", "SUCCEEDED", null],
        ]);
        expect(b[1].retryOf.id).toBe(b[0].id);
      } finally {
        await second.stop();
      }
    } finally {
      await db.drop();
    }
  });

  test.runIf(testBackend() === "postgres")("two instances advancing the same workflows create each step exactly once", async () => {
    const db = await createTestDatabase();
    const one = await startTestApp({ db });
    const two = await startTestApp({ db });
    try {
      const s = await sleepTask(one);
      const steps: Step[] = ["a", "b", "c", "d", "e", "f"].map((id) => ({ id, task: s.name, params: { ms: 30 } }));
      steps.push({ id: "z", task: s.name, dependsOn: steps.map((x) => x.id) });
      const wf = await workflowTask(one, steps, { mode: "PARALLEL" });
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push((await trigger(i % 2 ? two : one, wf.id, undefined, true)).id);
      for (const id of runs) {
        expect((await waitForFinal(one, id, 20_000)).status).toBe("SUCCEEDED");
        const children = await childrenOf(two, id);
        expect(children.map((c) => c.stepId).sort()).toEqual(["a", "b", "c", "d", "e", "f", "z"]);
      }
    } finally {
      await two.stop();
      await one.stop();
      await db.drop();
    }
  });
});
