// Never stuck, never orphaned, never twice: a worker killed mid-run takes its commands with it and
// is swept and retried; a graceful stop
// lets short runs finish, cancels the rest and leaves no process behind; a long healthy run
// heart-beats and is never swept. Real service processes, real signals.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterEach, expect, test } from "vitest";
import { createDefaultHandlerRegistry } from "../src/executors/handlers/registry.ts";
import { encodeId } from "../src/graphql/ids.ts";
import { createTestDatabase, testBackend, type TestDatabase } from "./helpers/database.ts";
import { isAlive } from "./helpers/processes.ts";
import { createTask, getExecution, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { startService as startServiceProcess, type Service } from "./helpers/service.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startService(db: TestDatabase, env: Record<string, string> = {}, via: "npm" | "node" = "node"): Promise<Service> {
  const service = await startServiceProcess(db, env, via);
  cleanups.push(() => service.kill());
  return service;
}

function scratch() {
  return mkdtempSync(path.join(os.tmpdir(), "jobgraph-resilience-"));
}

test("SIGKILL of an instance ends its command's whole group before the lease expires; the retry elsewhere never overlaps it", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const dir = scratch();
  const log = path.join(dir, "markers");
  const grandchildFile = path.join(dir, "grandchild");
  // Every attempt appends "start|stop <pid> <ms>" to the log. The first forks a sleeping grandchild
  // and hangs (writing "stop" when SIGTERM comes); a later one records whether any process of an
  // earlier attempt is still alive ("overlap") or not ("alone"), and succeeds.
  const script = `const fs = require("fs"), { spawn } = require("child_process");
const mark = (what) => fs.appendFileSync(${JSON.stringify(log)}, what + " " + process.pid + " " + Date.now() + "\\n");
const alive = (pid) => { try { process.kill(pid, 0); const st = fs.readFileSync("/proc/" + pid + "/stat", "utf8"); return st.slice(st.lastIndexOf(")") + 2)[0] !== "Z"; } catch { return false; } };
mark("start");
if (!fs.existsSync(${JSON.stringify(grandchildFile)})) {
  process.on("SIGTERM", () => { mark("stop"); process.exit(143); });
  const grandchild = spawn("sleep", ["600"], { stdio: "ignore" });
  fs.writeFileSync(${JSON.stringify(grandchildFile)}, String(grandchild.pid));
  setInterval(() => {}, 1000);
} else {
  const earlier = fs.readFileSync(${JSON.stringify(log)}, "utf8").trim().split("\\n").map((l) => Number(l.split(" ")[1])).filter((p) => p !== process.pid);
  mark([Number(fs.readFileSync(${JSON.stringify(grandchildFile)}, "utf8")), ...earlier].some(alive) ? "overlap" : "alone");
  mark("stop");
}`;
  const leaseMs = 6000;
  const service = await startService(db, { JOBGRAPH_LEASE_SECONDS: String(leaseMs / 1000) });
  const created = await service.gql(`mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, {
    input: { name: "fragile", kind: "COMMAND", config: { command: process.execPath, args: ["-e", script] }, maxRetries: 1, retryDelaySeconds: 0 },
  });
  const taskId = created.createTask.id;
  const run = (await service.gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: taskId })).triggerTask;
  const grandchild = Number(await waitFor(async () => existsSync(grandchildFile) && readFileSync(grandchildFile, "utf8").trim(), 15_000, "the grandchild to start"));
  const firstPid = Number(readFileSync(log, "utf8").split(" ")[1]);
  service.proc.kill("SIGKILL");
  const killedAt = Date.now();
  await service.exited;
  // The lease was renewed at most a third of it before the kill, so it expires ≥ 4 s after it:
  // the command and its grandchild must be gone well before anybody may retry the run.
  await waitFor(async () => !isAlive(grandchild) && !isAlive(firstPid), leaseMs, "the killed instance's processes to end");
  expect(Date.now() - killedAt).toBeLessThan((leaseMs * 2) / 3);

  const t: TestApp = await startTestApp({ db });
  cleanups.push(() => t.stop());
  const first = await waitForFinal(t, run.id, 30_000);
  expect(first.status).toBe("FAILED");
  expect(first.error).toMatch(/^lease lost: worker .* stopped heart-beating/);
  const retry = await waitFor(async () => {
    const data = await t.ok(`query($id: ID!) { executions(first: 5, filter: { taskId: $id }) { edges { node { id status attempt trigger retryOf { id } } } } }`, { id: taskId }, "viewer");
    const r = data.executions.edges.map((e: any) => e.node).find((n: any) => n.attempt === 2);
    return r?.status === "SUCCEEDED" ? r : null;
  }, 30_000, "the retry to succeed");
  expect(retry).toMatchObject({ trigger: "RETRY", retryOf: { id: run.id } });
  const sweeps = await t.ok(`{ auditEvents(first: 5, action: "execution.sweep") { edges { node { actor execution { id } } } } }`, {}, "viewer");
  expect(sweeps.auditEvents.edges.map((e: any) => e.node)).toEqual([{ actor: "system", execution: { id: run.id } }]);

  // one attempt after the other: the first stopped (SIGTERM from its supervisor) before the retry began
  const markers = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" "));
  const secondPid = Number(markers[2]?.[1]);
  expect(markers.map(([what, pid]) => [what, Number(pid)])).toEqual([
    ["start", firstPid],
    ["stop", firstPid],
    ["start", secondPid],
    ["alone", secondPid],
    ["stop", secondPid],
  ]);
  expect(Number(markers[1]![2])).toBeLessThanOrEqual(Number(markers[2]![2]));
}, 120_000);

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
}, 120_000);

test("a healthy run longer than its lease heart-beats and is never swept", async () => {
  const t = await startTestApp({ config: { leaseMs: 2000 } });
  cleanups.push(() => t.stop());
  const task = await createTask(t, { name: "patient", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 5000 } } });
  const run = await trigger(t, task.id);
  const done = await waitForFinal(t, run.id, 20_000);
  expect(done.status).toBe("SUCCEEDED");
  expect(done.durationMs).toBeGreaterThanOrEqual(5000);
  expect(await t.app.db.prisma.auditEvent.count({ where: { action: "execution.sweep" } })).toBe(0);
}, 60_000);

test.runIf(testBackend() === "postgres")("a stop while a claim is on its way gives the runs that claim brings back the grace too", async () => {
  // concurrency 1: the first run holds the only slot while the second waits PENDING; a lock on
  // the table then holds the claim that the first run's end sends, and the stop begins while it
  // waits. The claim comes back after the stop began, with the second run already RUNNING here.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const handlers = createDefaultHandlerRegistry().register("test.gate", async () => {
    await gate;
    return { ok: true };
  });
  const lines: { msg?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const t = await startTestApp({ db, config: { concurrency: 1, leaseMs: 600_000, shutdownGraceMs: 30_000 }, options: { handlers, logger } });
  cleanups.push(() => t.stop());
  const gated = await createTask(t, { name: "gated", kind: "HANDLER", config: { handler: "test.gate" } });
  const short = await createTask(t, { name: "short", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 200 } } });
  const first = await trigger(t, gated.id);
  await waitFor(async () => (await getExecution(t, first.id)).status === "RUNNING", 10_000, "the first run to start");
  const second = await trigger(t, short.id);

  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  cleanups.push(() => locker.end());
  await locker.query(`BEGIN; LOCK TABLE "Execution" IN EXCLUSIVE MODE`);
  release();
  // two statements wait on the lock: the first run's end and the claim its freed slot sent (a
  // prepared statement waiting at Bind still shows its connection's previous query, so they are
  // counted by who blocks them rather than by their text)
  await waitFor(async () => {
    const { rows } = await locker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`);
    return rows[0].n >= 2;
  }, 10_000, "the run's end and the next claim to wait on the lock");
  const stopped = t.app.stop();
  await waitFor(async () => lines.some((l) => l.msg === "runner stopping"), 10_000, "the runner to begin stopping");
  await locker.query("COMMIT");
  await stopped;

  // the app's connections are closed: read through ours. Both ran to their end within the grace.
  const { rows } = await locker.query(`SELECT id, status::text AS status FROM "Execution" ORDER BY id`);
  expect(rows.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  expect(rows.map((r) => encodeId("Execution", r.id))).toEqual([first.id, second.id]);
}, 120_000);
