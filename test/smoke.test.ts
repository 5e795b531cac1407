import { afterAll, beforeAll, expect, test } from "vitest";
import { collect, createTask, startTestApp, trigger, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

test("a manual trigger runs a handler and a subscriber sees it finish", async () => {
  const task = await createTask(t, { name: "count", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 3, stepMs: 50 } } });
  const exec = await trigger(t, task.id);
  const events = await collect(t.ws(), `subscription($id: ID!) { executionUpdated(id: $id) { status progress } }`, { id: exec.id });
  expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", progress: 1 });
  const done = await waitForFinal(t, exec.id);
  expect(done.status).toBe("SUCCEEDED");
});
