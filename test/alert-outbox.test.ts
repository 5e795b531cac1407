// The state machine enqueues alerts in the outbox in the same statement as the state change:
// one row per cause, none for a failure that is retried (see src/executions/state/alerts.ts).
// Also: ends of runs are counted once in the metrics, skipped workflow steps included.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const decode = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);
const outbox = (taskId: string) =>
  t.app.db.prisma.outbox.findMany({ where: { taskId: decode(taskId) }, orderBy: { id: "asc" } });

describe("alerts outbox", () => {
  test("a retried failure raises nothing; the final attempt raises FAILED once; the next success RECOVERED once", async () => {
    const task = await createTask(t, { name: "flaky", kind: "HANDLER", config: { handler: "demo.fail" }, maxRetries: 1, retryDelaySeconds: 1 });
    const first = await trigger(t, task.id);
    expect((await waitForFinal(t, first.id)).status).toBe("FAILED");
    const retry = await waitFor(async () => {
      const row = await t.app.db.prisma.execution.findFirst({ where: { retryOfId: decode(first.id) } });
      return row && row.status === "FAILED" ? row : null;
    }, 15_000, "the retry to fail");
    const afterFailure = await waitFor(async () => {
      const rows = await outbox(task.id);
      return rows.length ? rows : null;
    });
    // the first attempt was retried: only the final one raised an alert
    expect(afterFailure).toHaveLength(1);
    expect(afterFailure[0]).toMatchObject({ topic: "alert", event: "FAILED", executionId: retry.id, key: null, processedAt: null });
    expect(afterFailure[0]!.payload).toMatchObject({ taskName: "flaky", status: "FAILED", error: "demo.fail always fails", attempt: 2 });
    const payload = afterFailure[0]!.payload as Record<string, unknown>;
    for (const k of ["scheduledAt", "startedAt", "finishedAt"]) expect(typeof payload[k]).toBe("string");

    await t.ok(`mutation($id: ID!) { updateTask(id: $id, input: { config: { handler: "demo.sleep", defaults: { ms: 0 } } }) { id } }`, { id: task.id });
    const ok = await trigger(t, task.id);
    expect((await waitForFinal(t, ok.id)).status).toBe("SUCCEEDED");
    const again = await trigger(t, task.id);
    expect((await waitForFinal(t, again.id)).status).toBe("SUCCEEDED");
    const rows = await outbox(task.id);
    expect(rows.map((r) => [r.event, r.executionId])).toEqual([
      ["FAILED", retry.id],
      ["RECOVERED", decode(ok.id)],
    ]);
  });

  test("a timeout with no retry raises TIMED_OUT", async () => {
    const task = await createTask(t, { name: "slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 10_000 } }, timeoutSeconds: 1 });
    const run = await trigger(t, task.id);
    expect((await waitForFinal(t, run.id)).status).toBe("TIMED_OUT");
    const rows = await waitFor(async () => ((await outbox(task.id)).length ? outbox(task.id) : null));
    expect(rows.map((r) => [r.event, r.executionId])).toEqual([["TIMED_OUT", decode(run.id)]]);
  });

  test("every sweep of an expired lease raises LEASE_LOST, plus FAILED when it was the final attempt", async () => {
    const { prisma } = t.app.db;
    const once = await createTask(t, { name: "lost-once", kind: "HANDLER", config: { handler: "demo.sleep" }, maxRetries: 0 });
    const retried = await createTask(t, { name: "lost-retried", kind: "HANDLER", config: { handler: "demo.sleep" }, maxRetries: 1, retryDelaySeconds: 3600 });
    const past = new Date(Date.now() - 60_000);
    const orphan = (taskId: string) =>
      prisma.execution.create({
        data: { taskId: decode(taskId), trigger: "MANUAL", scheduledAt: past, runAfter: past, status: "RUNNING", startedAt: past, workerId: "dead-worker", heartbeatAt: past, leaseExpiresAt: past },
      });
    const a = await orphan(once.id);
    const b = await orphan(retried.id);
    await waitFor(async () => (await prisma.execution.count({ where: { id: { in: [a.id, b.id] }, status: "FAILED" } })) === 2, 10_000, "the sweeper");
    expect((await outbox(once.id)).map((r) => [r.event, r.executionId])).toEqual([
      ["LEASE_LOST", a.id],
      ["FAILED", a.id],
    ]);
    const lost = await outbox(retried.id);
    expect(lost.map((r) => [r.event, r.executionId])).toEqual([["LEASE_LOST", b.id]]);
    expect(lost[0]!.payload).toMatchObject({ taskName: "lost-retried", status: "FAILED", attempt: 1 });
    expect(String((lost[0]!.payload as { error: string }).error)).toMatch(/^lease lost: worker dead-worker/);
  });
});

test("metrics count every end once, skipped workflow steps included", async () => {
  const step = await createTask(t, { name: "step-fails", kind: "HANDLER", config: { handler: "demo.fail" } });
  const after = await createTask(t, { name: "step-never", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
  const wf = await createTask(t, {
    name: "wf-skips",
    kind: "WORKFLOW",
    config: { mode: "SERIAL", onFailure: "STOP", steps: [{ id: "a", task: step.name }, { id: "b", task: after.name, dependsOn: ["a"] }] },
  });
  const run = await trigger(t, wf.id);
  expect((await waitForFinal(t, run.id)).status).toBe("FAILED");
  const count = async (task: string, status: string) => {
    const text = await (await fetch(new URL("/metrics", t.url))).text();
    const line = text.split("\n").find((l) => l.startsWith(`jobgraph_executions_finished_total{task="${task}",status="${status}"}`));
    return line ? Number(line.split(" ").at(-1)) : 0;
  };
  await waitFor(async () => (await count("step-never", "SKIPPED")) === 1, 10_000, "the skipped step to be counted");
  expect(await count("step-fails", "FAILED")).toBe(1);
  expect(await count("wf-skips", "FAILED")).toBe(1);
});
