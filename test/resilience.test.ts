// Never stuck, never orphaned: a worker killed mid-run is swept and retried; a graceful stop
// lets short runs finish, cancels the rest and leaves no process behind; a long healthy run
// heart-beats and is never swept. Real service processes, real signals.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, test } from "vitest";
import { createTestDatabase } from "./helpers/database.ts";
import { isAlive } from "./helpers/processes.ts";
import { killServices, startService } from "./helpers/service.ts";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killServices();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function scratch() {
  return mkdtempSync(path.join(os.tmpdir(), "jobgraph-resilience-"));
}

test("a run whose worker is killed with SIGKILL is swept (lease lost) and retried elsewhere", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const dir = scratch();
  const marker = path.join(dir, "first-attempt-started");
  const pidFile = path.join(dir, "pid");
  // first attempt: note itself and hang; any later attempt: succeed at once
  const script = `const fs=require("fs");if(fs.existsSync(${JSON.stringify(marker)})){console.log("second attempt");process.exit(0)}
fs.writeFileSync(${JSON.stringify(marker)},"");fs.writeFileSync(${JSON.stringify(pidFile)},String(process.pid));setTimeout(()=>{},60000)`;
  const service = await startService(db);
  const created = await service.gql(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, {
    input: { name: "fragile", kind: "COMMAND", config: { command: process.execPath, args: ["-e", script] }, maxRetries: 1, retryDelaySeconds: 0 },
  });
  const taskId = created.createTask.id;
  const run = (await service.gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: taskId })).triggerTask;
  await waitFor(async () => existsSync(pidFile), 15_000, "the command to start");
  service.proc.kill("SIGKILL");
  await service.exited;
  // nobody can clean up after SIGKILL: the orphaned command is ours to stop
  const orphan = Number(readFileSync(pidFile, "utf8"));
  if (isAlive(orphan)) process.kill(orphan, "SIGKILL");

  const t: TestApp = await startTestApp({ db });
  cleanups.push(() => t.stop());
  const first = await waitForFinal(t, run.id, 20_000);
  expect(first.status).toBe("FAILED");
  expect(first.error).toMatch(/^lease lost: worker .* stopped heart-beating/);
  const retry = await waitFor(async () => {
    const data = await t.ok(`query($id: ID!) { executions(first: 5, filter: { taskId: $id }) { edges { node { id status attempt trigger retryOf { id } } } } }`, { id: taskId }, "viewer");
    const r = data.executions.edges.map((e: any) => e.node).find((n: any) => n.attempt === 2);
    return r?.status === "SUCCEEDED" ? r : null;
  }, 20_000, "the retry to succeed");
  expect(retry).toMatchObject({ trigger: "RETRY", retryOf: { id: run.id } });
  const sweeps = await t.ok(`{ auditEvents(first: 5, action: "execution.sweep") { edges { node { actor execution { id } } } } }`, {}, "viewer");
  expect(sweeps.auditEvents.edges.map((e: any) => e.node)).toEqual([{ actor: "system", execution: { id: run.id } }]);
});

test("SIGTERM to npm start: short runs finish, long ones are cancelled and recorded, no process outlives the service", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const dir = scratch();
  const pidFile = path.join(dir, "grandchild");
  const service = await startService(db, { JOBGRAPH_SHUTDOWN_GRACE_SECONDS: "1" }, "npm");
  const mk = async (input: Record<string, unknown>) => (await service.gql(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, { input })).createTask.id;
  const long = await mk({ name: "long", kind: "COMMAND", config: { command: "sh", args: ["-c", `sleep 60 & echo $! > ${pidFile}; wait`] } });
  const short = await mk({ name: "short", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 400 } } });
  const longRun = (await service.gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: long })).triggerTask.id;
  await waitFor(async () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim(), 15_000, "the grandchild to start");
  const shortRun = (await service.gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: short })).triggerTask.id;
  await waitFor(async () => (await service.gql(`query($id: ID!) { execution(id: $id) { status } }`, { id: shortRun })).execution.status === "RUNNING", 10_000, "the short run to start");
  service.proc.kill("SIGTERM");
  expect(await service.exited).toBe(0);
  const grandchild = Number(readFileSync(pidFile, "utf8"));
  expect(isAlive(grandchild)).toBe(false);

  const t = await startTestApp({ db });
  cleanups.push(() => t.stop());
  expect((await waitForFinal(t, shortRun)).status).toBe("SUCCEEDED");
  const cancelled = await waitForFinal(t, longRun);
  expect(cancelled).toMatchObject({ status: "CANCELLED", error: "cancelled: instance shutting down" });
  expect(await t.app.db.prisma.execution.count({ where: { status: "RUNNING" } })).toBe(0);
  const recorded = await t.ok(`{ auditEvents(first: 5, action: "execution.shutdownCancel") { edges { node { actor execution { id } } } } }`, {}, "viewer");
  expect(recorded.auditEvents.edges.map((e: any) => e.node)).toEqual([{ actor: "system", execution: { id: longRun } }]);
});

test("a healthy run longer than its lease heart-beats and is never swept", async () => {
  const t = await startTestApp({ config: { leaseMs: 2000 } });
  cleanups.push(() => t.stop());
  const task = await createTask(t, { name: "patient", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 5000 } } });
  const run = await trigger(t, task.id);
  const done = await waitForFinal(t, run.id, 20_000);
  expect(done.status).toBe("SUCCEEDED");
  expect(done.durationMs).toBeGreaterThanOrEqual(5000);
  expect(await t.app.db.prisma.auditEvent.count({ where: { action: "execution.sweep" } })).toBe(0);
});
