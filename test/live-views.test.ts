// The API additions behind the dashboard, for every client, over real HTTP and WebSocket:
// Task.upcomingFires, statistics bucketed over time, the coalesced view of every active
// execution, and the task and scheduler change feeds.
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { collect, createTask, noSubscriptionsHeld, listen, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

let seq = 0;
const name = (base: string) => `${base}_${++seq}`;
const subscribers = () => t.app.services.bus.subscriberCount();
// tests count subscriptions from a baseline: each starts from none
beforeEach(() => noSubscriptionsHeld(t));
const subscribed = (base: number, n = 1) => waitFor(async () => subscribers() >= base + n, 10_000, "subscription to register");

test("upcomingFires lists the next fires from nextRunAt, none when paused, and checks `first`", async () => {
  const every = await createTask(t, { name: name("every_minute"), kind: "HANDLER", config: { handler: "demo.sleep" }, schedule: { intervalSeconds: 60 } });
  const q = `query($id: ID!, $n: Int) { node(id: $id) { ... on Task { nextRunAt upcomingFires(first: $n) } } }`;
  const { node } = await t.ok(q, { id: every.id, n: 3 }, "viewer");
  expect(node.upcomingFires).toHaveLength(3);
  expect(node.upcomingFires[0]).toBe(node.nextRunAt);
  const times = node.upcomingFires.map((d: string) => Date.parse(d));
  expect(times[1] - times[0]).toBe(60_000);
  expect(times[2] - times[1]).toBe(60_000);

  const weekdays = await createTask(t, { name: name("weekday_evenings"), kind: "HANDLER", config: { handler: "demo.sleep" }, schedule: { cron: "0 18 * * 1-5", timezone: "Asia/Shanghai" } });
  const fires: string[] = (await t.ok(q, { id: weekdays.id, n: 10 }, "viewer")).node.upcomingFires;
  expect(fires).toHaveLength(10);
  for (const f of fires) {
    const local = new Date(Date.parse(f) + 8 * 3600_000); // Shanghai has no DST
    expect(local.getUTCHours()).toBe(18);
    expect([1, 2, 3, 4, 5]).toContain(local.getUTCDay());
  }

  await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { id } }`, { id: every.id }, "operator");
  expect((await t.ok(q, { id: every.id }, "viewer")).node.upcomingFires).toEqual([]);

  const bad = await t.gql(q, { id: every.id, n: 1000 }, "viewer");
  expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "first" });
});

test("statsSeries buckets runs over time, empty buckets included, and refuses too many buckets", async () => {
  const task = await createTask(t, { name: name("series"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 5 } } });
  const runs = [await trigger(t, task.id), await trigger(t, task.id, undefined, true), await trigger(t, task.id, { ms: 1 }, true)];
  for (const r of runs) await waitForFinal(t, r.id);
  const from = new Date(Date.now() - 3600_000).toISOString();
  const q = `query($id: ID!, $from: DateTime!, $b: Int!) {
    statsSeries(taskId: $id, from: $from, bucketSeconds: $b) { start total succeeded failed avgDurationMs p95DurationMs maxDurationMs }
    node(id: $id) { ... on Task { statsSeries(from: $from, bucketSeconds: $b) { start total } } } }`;
  const data = await t.ok(q, { id: task.id, from, b: 600 }, "viewer");
  expect(data.statsSeries.length).toBeGreaterThanOrEqual(6);
  expect(data.statsSeries[0].start).toBe(from);
  const total = data.statsSeries.reduce((n: number, b: any) => n + b.total, 0);
  expect(total).toBe(3);
  const busy = data.statsSeries.find((b: any) => b.total > 0);
  expect(busy.succeeded).toBe(busy.total);
  expect(busy.p95DurationMs).toBeGreaterThanOrEqual(0);
  expect(data.statsSeries.filter((b: any) => b.total === 0).every((b: any) => b.p95DurationMs === null)).toBe(true);
  expect(data.node.statsSeries.map((b: any) => b.total)).toEqual(data.statsSeries.map((b: any) => b.total));

  const tooMany = await t.gql(q, { id: task.id, from, b: 1 }, "viewer");
  expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "bucketSeconds" });
});

test("activeExecutions sends a snapshot, then coalesced batches of the latest states", async () => {
  const task = await createTask(t, { name: name("busy"), kind: "HANDLER", overlapPolicy: "ALLOW", config: { handler: "demo.countdown", defaults: { steps: 40, stepMs: 10 } } });
  const q = `subscription($id: ID, $ms: Int) { activeExecutions(taskId: $id, intervalMs: $ms) { snapshot executions { id status progress task { name } } } }`;
  const base = subscribers();
  const sub = listen(t.ws("viewer"), q, { id: task.id, ms: 200 });
  await subscribed(base);
  await waitFor(async () => sub.events.length >= 1, 10_000, "snapshot");
  expect(sub.events[0]).toEqual({ snapshot: true, executions: [] });
  const runs = await Promise.all([trigger(t, task.id), trigger(t, task.id), trigger(t, task.id)]);
  const ids = new Set(runs.map((r) => r.id));
  const latest = new Map<string, any>();
  await waitFor(async () => {
    for (const b of sub.events.slice(1)) for (const e of b.executions) latest.set(e.id, e);
    return [...ids].every((id) => latest.get(id)?.status === "SUCCEEDED");
  }, 20_000, "every run to be seen finished");
  const batches = await sub.stop();
  // 3 runs × 40 progress reports in about half a second, at most one batch per 200 ms
  expect(batches.length - 1).toBeLessThan(20);
  for (const b of batches.slice(1)) {
    expect(b.snapshot).toBe(false);
    const seen = b.executions.map((e: any) => e.id);
    expect(new Set(seen).size).toBe(seen.length); // one state per execution per batch
    for (const e of b.executions) expect(e.task.name).toBe(task.name);
  }
  expect([...latest.values()].every((e) => e.progress === 1)).toBe(true);

  // a run already active when a subscriber arrives is in its snapshot
  const slow = await createTask(t, { name: name("slow"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
  const run = await trigger(t, slow.id);
  const [snapshot] = await collect(t.ws("viewer"), q, { id: null, ms: 250 }, (events) => events.length === 1);
  expect(snapshot.snapshot).toBe(true);
  expect(snapshot.executions.map((e: any) => e.id)).toContain(run.id);
  await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: run.id }, "operator");

  const bad = await collect(t.ws("viewer"), q, { id: null, ms: 1 }).catch((e: Error) => e.message);
  expect(String(bad)).toContain("VALIDATION");
});

test("taskChanged tells about switches and deletes; schedulerUpdated about pause and resume", async () => {
  const task = await createTask(t, { name: name("watched"), kind: "HANDLER", config: { handler: "demo.sleep" } });
  const base = subscribers();
  const tasks = listen(t.ws("viewer"), `subscription($id: ID) { taskChanged(id: $id) { id task { name paused } } }`, { id: task.id });
  const scheduler = listen(t.ws("viewer"), `subscription { schedulerUpdated { paused tasks } }`);
  await subscribed(base, 2);
  await waitFor(async () => scheduler.events.length >= 1, 10_000, "scheduler status");
  expect(scheduler.events[0].paused).toBe(false);

  await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { id } }`, { id: task.id }, "operator");
  await waitFor(async () => tasks.events.some((e) => e.task?.paused === true), 10_000, "pause event");
  await t.ok(`mutation($id: ID!) { deleteTask(id: $id) }`, { id: task.id });
  await waitFor(async () => tasks.events.some((e) => e.task === null && e.id === task.id), 10_000, "delete event");

  await t.ok(`mutation { pauseScheduler { paused } }`);
  await waitFor(async () => scheduler.events.some((e) => e.paused), 10_000, "paused status");
  await t.ok(`mutation { resumeScheduler { paused } }`);
  await waitFor(async () => scheduler.events.at(-1)?.paused === false, 10_000, "resumed status");
  await Promise.all([tasks.stop(), scheduler.stop()]);
});
