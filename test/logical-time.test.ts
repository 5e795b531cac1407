// Every run knows its logical time: the nominal fire time of a scheduled run (not the moment it
// started), the trigger time of a manual one; commands read it from JOBGRAPH_SCHEDULED_AT,
// handlers from ctx.scheduledAt.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDefaultHandlerRegistry } from "../src/executors/handlers/registry.ts";
import { createTask, EXECUTION_FIELDS, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  const handlers = createDefaultHandlerRegistry().register("test.logicalTime", async (ctx) => ({ scheduledAt: ctx.scheduledAt.toISOString() }));
  t = await startTestApp({ options: { handlers } });
});
afterAll(async () => {
  await t?.stop();
});

const printScheduledAt = { command: process.execPath, args: ["-e", `console.log("::jobgraph " + JSON.stringify({ result: { scheduledAt: process.env.JOBGRAPH_SCHEDULED_AT } }))`] };

test("a manual run's command and handler get the trigger time", async () => {
  const command = await createTask(t, { name: "lt-command", kind: "COMMAND", config: printScheduledAt });
  const handler = await createTask(t, { name: "lt-handler", kind: "HANDLER", config: { handler: "test.logicalTime" } });
  for (const task of [command, handler]) {
    const run = await waitForFinal(t, (await trigger(t, task.id)).id);
    expect(run.status, run.error).toBe("SUCCEEDED");
    expect(run.result).toEqual({ scheduledAt: run.scheduledAt });
  }
});

test("a scheduled run gets its nominal fire time, on whole seconds, whenever it starts", async () => {
  for (const [name, kind, config] of [
    ["lt-cron-command", "COMMAND", printScheduledAt],
    ["lt-cron-handler", "HANDLER", { handler: "test.logicalTime" }],
  ] as const) {
    const task = await createTask(t, { name, kind, config, schedule: { cron: "* * * * * *" }, overlapPolicy: "QUEUE" });
    const run = await waitFor(async () => {
      const data = await t.ok(`query($id: ID!) { executions(first: 1, filter: { taskId: $id, status: SUCCEEDED }) { edges { node { ${EXECUTION_FIELDS} } } } }`, { id: task.id }, "viewer");
      return data.executions.edges[0]?.node;
    }, 20_000, `a fire of ${name} to succeed`);
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: task.id });
    expect(run.trigger).toBe("SCHEDULE");
    expect(run.scheduledAt).toMatch(/:\d\d\.000Z$/);
    expect(run.result).toEqual({ scheduledAt: run.scheduledAt });
    // never before its time; in the same millisecond when the claim came right on it (a
    // timestamp is read to the millisecond: equal is seen on a quiet machine)
    expect(Date.parse(run.startedAt)).toBeGreaterThanOrEqual(Date.parse(run.scheduledAt));
  }
});
