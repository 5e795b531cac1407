// The live view, end to end over real WebSocket clients (graphql-transport-ws): executionUpdated,
// executionEvents and executionLogLines, and a client that stops reading must not hurt the others.
import { mkdtempSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { collect, createTask, noSubscriptionsHeld, getExecution, listen, sleep, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { scriptFolder } from "./helpers/scripts.ts";

let t: TestApp;
const scripts = scriptFolder("jobgraph-live-");
const tmp = scripts.dir;
const script = scripts.write;
let taskSeq = 0;
const uniqueName = (base: string) => `${base}-${++taskSeq}`;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
  scripts.remove();
});


/** GraphQL subscriptions the server currently holds (engine listeners excluded) */
const subscribers = () => t.app.services.bus.subscriberCount();
// tests count subscriptions from a baseline: each starts from none
beforeEach(() => noSubscriptionsHeld(t));

/** resolves once the server has registered `n` more subscriptions than `base` */
const subscribed = (base: number, n: number) => waitFor(async () => subscribers() >= base + n, 10_000, `${n} subscription(s) to register`);

const STATUS_RANK: Record<string, number> = { PENDING: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, TIMED_OUT: 2, CANCELLED: 2, SKIPPED: 2 };
const FINAL = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];

const UPDATED = `subscription($id: ID!) { executionUpdated(id: $id) { id status progress progressMessage processedItems totalItems currentItem } }`;

test("executionUpdated: current row first, then changes in order, completes after the final state", async () => {
  const file = script(
    "steps.mjs",
    `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(500); // time to subscribe while it runs
for (let i = 1; i <= 20; i++) {
  console.log("::jobgraph " + JSON.stringify({ progress: i / 20, message: "step " + i, processed: i, total: 20, currentItem: "s" + i }));
  await sleep(30);
}
console.log("::jobgraph " + JSON.stringify({ result: { steps: 20 } }));
`,
  );
  const task = await createTask(t, { name: uniqueName("live-progress"), kind: "COMMAND", config: { command: process.execPath, args: [file] } });
  const exec = await trigger(t, task.id);
  // collect() returns only when the server completes the subscription
  const events = await collect(t.ws(), UPDATED, { id: exec.id });

  expect(events.length).toBeGreaterThanOrEqual(2);
  for (const e of events) expect(e.id).toBe(exec.id);
  expect(["PENDING", "RUNNING"]).toContain(events[0].status);
  // statuses never go back; progress never decreases (coalescing may skip values)
  for (let i = 1; i < events.length; i++) {
    expect(STATUS_RANK[events[i].status]).toBeGreaterThanOrEqual(STATUS_RANK[events[i - 1].status]);
    expect(events[i].progress ?? 0).toBeGreaterThanOrEqual(events[i - 1].progress ?? 0);
    expect(events[i].processedItems ?? 0).toBeGreaterThanOrEqual(events[i - 1].processedItems ?? 0);
  }
  // exactly one final event, and it is the last
  expect(events.filter((e) => FINAL.includes(e.status))).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", progress: 1, processedItems: 20, totalItems: 20, currentItem: "s20", progressMessage: "step 20" });
  // at least one intermediate progress value reached the subscriber while it ran
  expect(events.some((e) => e.status === "RUNNING" && e.progress !== null && e.progress < 1)).toBe(true);

  // subscribing to a finished execution: its current (final) state, then completion
  const again = await collect(t.ws(), UPDATED, { id: exec.id });
  expect(again).toEqual([events.at(-1)]);
});

test("executionEvents: every status change of one task's runs; without taskId, of all tasks", async () => {
  const taskA = await createTask(t, { name: uniqueName("events-a"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 50 } } });
  const taskB = await createTask(t, { name: uniqueName("events-b"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 50 } } });
  const EVENTS = `subscription($taskId: ID) { executionEvents(taskId: $taskId) { id status task { id } } }`;

  const base = subscribers();
  const forA = listen(t.ws(), EVENTS, { taskId: taskA.id });
  const forAll = listen(t.ws(), EVENTS, {});
  await subscribed(base, 2);

  const idA = (await trigger(t, taskA.id)).id;
  const idB = (await trigger(t, taskB.id)).id;
  // the runs may well finish before triggerTask answers: wait on what was received, not in `until`
  const finished = (events: any[], id: string) => events.some((e) => e.id === id && FINAL.includes(e.status));
  await waitFor(async () => finished(forA.events, idA) && finished(forAll.events, idA) && finished(forAll.events, idB), 15_000, "both runs' final events");
  await sleep(100); // anything that should not arrive has a chance to
  const [a, all] = [await forA.stop(), await forAll.stop()];

  // the filtered stream: only task A, and every step of its run, in order
  expect(a.every((e) => e.task.id === taskA.id)).toBe(true);
  expect(a.filter((e) => e.id === idA).map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
  // the unfiltered stream: both tasks
  expect(all.filter((e) => e.id === idA).map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
  expect(all.filter((e) => e.id === idB).map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
  expect(all.filter((e) => e.id === idB).every((e) => e.task.id === taskB.id)).toBe(true);
});

test("executionLogLines(afterSeq): the backlog after afterSeq, then live lines, in seq order without duplicates", async () => {
  const dir = mkdtempSync(join(tmp, "gate-"));
  const go = join(dir, "go");
  // five lines, then wait for the test's go-ahead, then five more
  const file = script(
    "gated.mjs",
    `
import { existsSync } from "node:fs";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 1; i <= 5; i++) console.log("line " + i);
while (!existsSync(${JSON.stringify(go)})) await sleep(20);
for (let i = 6; i <= 10; i++) { console.log("line " + i); await sleep(10); }
`,
  );
  const task = await createTask(t, { name: uniqueName("live-logs"), kind: "COMMAND", timeoutSeconds: 20, config: { command: process.execPath, args: [file] } });
  const exec = await trigger(t, task.id);
  await waitFor(async () => {
    const d = await t.ok(`query($id: ID!) { executionLog(id: $id) { seq } }`, { id: exec.id }, "viewer");
    return d.executionLog.length >= 5;
  }, 10_000, "the first five lines to be written");

  const LINES = `subscription($id: ID!, $afterSeq: Int) { executionLogLines(id: $id, afterSeq: $afterSeq) { seq stream text } }`;
  const base = subscribers();
  const live = collect(t.ws(), LINES, { id: exec.id, afterSeq: 2 }, (ev) => ev.some((l) => l.seq >= 10));
  await subscribed(base, 1);
  writeFileSync(go, "go");
  const lines = await live;
  expect(lines.map((l) => l.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  expect(lines.map((l) => l.text)).toEqual([3, 4, 5, 6, 7, 8, 9, 10].map((i) => `line ${i}`));
  expect(lines.every((l) => l.stream === "stdout")).toBe(true);
  expect((await waitForFinal(t, exec.id)).status).toBe("SUCCEEDED");

  // after the run: no afterSeq = the whole log from the backlog
  const all = await collect(t.ws(), LINES, { id: exec.id }, (ev) => ev.some((l) => l.seq >= 10));
  expect(all.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

/** a raw graphql-transport-ws client, so the test controls when (and whether) it reads */
async function rawSubscriber(subscriptions: { query: string; variables: Record<string, unknown> }[]): Promise<WebSocket> {
  const socket = new WebSocket(t.wsUrl, "graphql-transport-ws");
  await once(socket, "open");
  const acked = new Promise<void>((resolve, reject) => {
    socket.once("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === "connection_ack") resolve();
      else reject(new Error(`unexpected ${String(data)}`));
    });
  });
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${await t.token("viewer")}` } }));
  await acked;
  subscriptions.forEach((s, i) => socket.send(JSON.stringify({ id: `slow-${i}`, type: "subscribe", payload: s })));
  return socket;
}

test("a subscriber that stops reading does not break the others or the server", async () => {
  // hundreds of progress updates and output lines, each carrying a couple of kB
  const file = script(
    "chatty.mjs",
    `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pad = "x".repeat(2000);
await sleep(300);
const n = 400;
for (let i = 1; i <= n; i++) {
  console.log("output " + i + " " + pad);
  console.log("::jobgraph " + JSON.stringify({ progress: i / n, message: "update " + i + " " + pad, processed: i, total: n }));
  if (i % 20 === 0) await sleep(5);
}
console.log("::jobgraph " + JSON.stringify({ result: { updates: n } }));
`,
  );
  const task = await createTask(t, { name: uniqueName("chatty"), kind: "COMMAND", timeoutSeconds: 30, config: { command: process.execPath, args: [file] } });
  const exec = await trigger(t, task.id);

  const FAT_UPDATED = `subscription($id: ID!) { executionUpdated(id: $id) { id status progress progressMessage logTail } }`;
  const FAT_LINES = `subscription($id: ID!) { executionLogLines(id: $id) { seq text } }`;
  const base = subscribers();
  const slow = await rawSubscriber([
    ...Array.from({ length: 4 }, () => ({ query: FAT_UPDATED, variables: { id: exec.id } })),
    ...Array.from({ length: 4 }, () => ({ query: FAT_LINES, variables: { id: exec.id } })),
  ]);
  try {
    await subscribed(base, 8);
    slow.pause(); // from now on this client reads nothing: the server's sends back up

    const events = await collect(t.ws(), UPDATED, { id: exec.id });
    expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", progress: 1, processedItems: 400, totalItems: 400 });
    for (let i = 1; i < events.length; i++) expect(events[i].progress ?? 0).toBeGreaterThanOrEqual(events[i - 1].progress ?? 0);

    // the server still answers queries, plain endpoints and new subscriptions
    const done = await getExecution(t, exec.id);
    expect(done).toMatchObject({ status: "SUCCEEDED", result: { updates: 400 } });
    const health = await fetch(t.url.replace(/\/graphql$/, "/health"));
    expect(health.status).toBe(200);
    const status = await t.ok(`{ scheduler { running } }`, {}, "viewer");
    expect(status.scheduler.running).toBe(true);
    const fresh = await collect(t.ws(), UPDATED, { id: exec.id });
    expect(fresh).toHaveLength(1);
    expect(fresh[0].status).toBe("SUCCEEDED");
    expect(slow.readyState).toBe(WebSocket.OPEN);
  } finally {
    slow.terminate();
  }
  // once it goes away, its executionUpdated subscriptions (the run has finished) are released;
  // and so are its executionLogLines subscriptions
  await waitFor(async () => subscribers() <= base, 10_000, "the slow client's subscriptions to be released");
});

// A client that leaves must release its server-side subscription even when the topic is quiet
// (an async generator otherwise holds return() until its pending await settles: never).
async function released(base: number) {
  await waitFor(async () => subscribers() <= base, 2_000, "the server-side subscription to be released");
}

test("unsubscribing from executionLogLines of a finished run releases it on the server", async () => {
  const file = script("three-lines.mjs", `for (let i = 1; i <= 3; i++) console.log("line " + i);`);
  const task = await createTask(t, { name: uniqueName("leak-logs"), kind: "COMMAND", config: { command: process.execPath, args: [file] } });
  const exec = await trigger(t, task.id);
  expect((await waitForFinal(t, exec.id)).status).toBe("SUCCEEDED");
  const base = subscribers();
  const lines = await collect(t.ws(), `subscription($id: ID!) { executionLogLines(id: $id) { seq } }`, { id: exec.id }, (ev) => ev.length >= 3);
  expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
  await released(base);
});

test("unsubscribing from executionEvents of a quiet task releases it on the server", async () => {
  const task = await createTask(t, { name: uniqueName("leak-events"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
  const base = subscribers();
  const events = collect(t.ws(), `subscription($taskId: ID) { executionEvents(taskId: $taskId) { id status } }`, { taskId: task.id }, (ev) =>
    ev.some((e) => e.status === "SUCCEEDED"),
  );
  await subscribed(base, 1);
  await trigger(t, task.id);
  expect((await events).map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
  await released(base);
});

describe.runIf(testBackend() === "postgres")("across instances", () => {
  test("a subscriber on one instance sees every state of a run on another, in order", async () => {
    const db = await createTestDatabase();
    const runner = await startTestApp({ db });
    const watcher = await startTestApp({ db, config: { concurrency: 1 } });
    try {
      // the watcher is kept busy, so the run below can only happen on `runner`
      const hog = await createTask(watcher, { name: uniqueName("hog"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 30_000 } } });
      const held = await trigger(watcher, hog.id);
      await waitFor(async () => (await getExecution(watcher, held.id)).status === "RUNNING", 10_000, "the watcher to be busy");
      const task = await createTask(runner, { name: uniqueName("remote"), kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 4, stepMs: 150 } } });
      const statuses = collect(watcher.ws(), `subscription($id: ID) { executionEvents(taskId: $id) { status workerId } }`, { id: task.id }, (ev) =>
        ev.some((e: any) => e.status === "SUCCEEDED"),
      );
      await sleep(300); // let the subscription register before the run starts
      const run = await trigger(runner, task.id);
      const updates = await collect(watcher.ws(), UPDATED, { id: run.id });
      expect((await statuses).map((e: any) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
      expect(updates.at(-1)).toMatchObject({ status: "SUCCEEDED", progress: 1 });
      const progress = updates.map((u) => u.progress ?? 0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect((await getExecution(runner, run.id)).status).toBe("SUCCEEDED");

      // a run over within milliseconds: each state still arrives, in order
      const quick = await createTask(runner, { name: uniqueName("remote-quick"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
      const quickStatuses = collect(watcher.ws(), `subscription($id: ID) { executionEvents(taskId: $id) { status } }`, { id: quick.id }, (ev) =>
        ev.some((e: any) => e.status === "SUCCEEDED"),
      );
      await sleep(300);
      await trigger(runner, quick.id);
      expect((await quickStatuses).map((e: any) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
      await watcher.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: held.id }, "operator");
    } finally {
      await watcher.stop();
      await runner.stop();
      await db.drop();
    }
  });
});

test("subscribing to an execution that does not exist is a NOT_FOUND error", async () => {
  const { encodeId } = await import("../src/graphql/ids.ts");
  const client = t.ws();
  const errors = await new Promise<any[]>((resolve) => {
    client.subscribe({ query: UPDATED, variables: { id: encodeId("Execution", 987654) } }, {
      next: (msg) => resolve((msg.errors as any[]) ?? []),
      error: (err) => resolve(Array.isArray(err) ? err : [err]),
      complete: () => resolve([]),
    });
  });
  expect(errors.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
});
