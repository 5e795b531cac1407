// The plain endpoints operators and orchestrators poll: GET /health, GET /ready, GET /metrics
// (Prometheus text: runs by task and final status, durations, fire lateness, active runs, live
// subscriptions, process metrics).
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";


let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp();
  base = t.url.replace(/\/graphql$/, "");
});
afterAll(async () => {
  await t?.stop();
});

const get = (path: string) => fetch(base + path);
const metrics = async () => (await get("/metrics")).text();
/** the value of one sample, e.g. value(text, 'jobgraph_subscriptions') */
function value(text: string, sample: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(sample + " "));
  return line ? Number(line.slice(sample.length + 1)) : null;
}

test("GET /health: the process is alive", async () => {
  const res = await get("/health");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  expect(await res.json()).toEqual({ status: "ok" });
});

test("GET /ready: database reachable and scheduler started", async () => {
  const res = await get("/ready");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ready" });
});

test("GET /metrics: every metric, in Prometheus text", async () => {
  const res = await get("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (const name of [
    "jobgraph_executions_finished_total",
    "jobgraph_execution_duration_seconds",
    "jobgraph_fire_lateness_seconds",
    "jobgraph_executions_active",
    "jobgraph_subscriptions",
    "jobgraph_retention_pruned_total",
    "process_cpu_user_seconds_total",
    "process_resident_memory_bytes",
    "nodejs_heap_size_used_bytes",
    "nodejs_eventloop_lag_seconds",
  ]) {
    expect(text, name).toContain(`# TYPE ${name} `);
  }
  expect(value(text, 'jobgraph_executions_active{status="RUNNING"}')).toBe(0);
  expect(value(text, 'jobgraph_executions_active{status="PENDING"}')).toBe(0);
  expect(value(text, "jobgraph_subscriptions")).toBe(0);
});

test("runs are counted by task and final status, with durations and fire lateness", async () => {
  const ok = await createTask(t, { name: "metrics_ok", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 20 } } });
  const bad = await createTask(t, { name: "metrics_bad", kind: "HANDLER", config: { handler: "demo.fail" } });
  for (const id of [ok.id, ok.id, bad.id]) expect((await waitForFinal(t, (await trigger(t, id)).id)).status).toBeTruthy();
  const text = await waitFor(async () => {
    const m = await metrics();
    return value(m, 'jobgraph_executions_finished_total{task="metrics_bad",status="FAILED"}') === 1 ? m : null;
  }, 5000, "the counters");
  expect(value(text, 'jobgraph_executions_finished_total{task="metrics_ok",status="SUCCEEDED"}')).toBe(2);
  expect(value(text, 'jobgraph_execution_duration_seconds_count{task="metrics_ok",status="SUCCEEDED"}')).toBe(2);
  expect(value(text, 'jobgraph_execution_duration_seconds_sum{task="metrics_ok",status="SUCCEEDED"}')).toBeGreaterThanOrEqual(0.04);
  expect(value(text, 'jobgraph_execution_duration_seconds_bucket{le="+Inf",task="metrics_ok",status="SUCCEEDED"}')).toBe(2);
  expect(value(text, 'jobgraph_fire_lateness_seconds_count{trigger="MANUAL"}')).toBe(3);
  expect(value(text, 'jobgraph_fire_lateness_seconds_bucket{le="+Inf",trigger="MANUAL"}')).toBe(3);
});

test("a run cancelled before it started is counted too (no duration)", async () => {
  const task = await createTask(t, { name: "metrics_paused", kind: "HANDLER", config: { handler: "demo.sleep" } });
  // held back by a retry delay: PENDING until cancelled
  const row = await t.app.db.prisma.execution.create({
    data: { taskId: Number(Buffer.from(task.id, "base64").toString().split(":")[1]), trigger: "MANUAL", manual: true, scheduledAt: new Date(), runAfter: new Date("2999-01-01") },
  });
  const text1 = await metrics();
  expect(value(text1, 'jobgraph_executions_active{status="PENDING"}')).toBe(1);
  const id = Buffer.from(`Execution:${row.id}`).toString("base64");
  await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { status } }`, { id }, "operator");
  const text = await waitFor(async () => {
    const m = await metrics();
    return value(m, 'jobgraph_executions_finished_total{task="metrics_paused",status="CANCELLED"}') === 1 ? m : null;
  }, 5000, "the cancel to be counted");
  expect(value(text, 'jobgraph_execution_duration_seconds_count{task="metrics_paused",status="CANCELLED"}')).toBeNull();
  expect(value(text, 'jobgraph_executions_active{status="PENDING"}')).toBe(0);
});

test("the subscription gauge follows open WebSocket subscriptions", async () => {
  const client = t.ws("viewer");
  const events: unknown[] = [];
  const stop = client.subscribe({ query: `subscription { executionEvents { id status } }` }, { next: (e) => void events.push(e), error: () => {}, complete: () => {} });
  await waitFor(async () => value(await metrics(), "jobgraph_subscriptions") === 1, 5000, "the gauge to show the subscription");
  const second = client.subscribe({ query: `subscription { executionEvents { id } }` }, { next: () => {}, error: () => {}, complete: () => {} });
  await waitFor(async () => value(await metrics(), "jobgraph_subscriptions") === 2, 5000, "two subscriptions");
  stop();
  second();
  await waitFor(async () => value(await metrics(), "jobgraph_subscriptions") === 0, 5000, "the gauge to drop");
});

test("GET /ready answers 503 once the scheduler has stopped", async () => {
  await t.app.engine.stop();
  const res = await get("/ready");
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ status: "not ready" });
  expect((await get("/health")).status).toBe(200);
});
