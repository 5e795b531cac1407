// Work starts when it is ready, not at the next poll: the slow poll is set to a minute here, so
// any of these would time out if a wake-up were lost.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { CHANNEL, createPgNotifier } from "../src/events/bridge.ts";
import { decodeId } from "../src/graphql/ids.ts";
import { createLogger } from "../src/logging/logger.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { createTask, getExecution, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

const noPoll = { pollMs: 60_000 };

describe("one instance", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: noPoll });
  });
  afterAll(async () => {
    await t?.stop();
  });

  test("manual triggers, one after another and many at once, start without waiting for a poll", async () => {
    const task = await createTask(t, { name: "quick", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: "ALLOW" });
    for (let i = 0; i < 15; i++) {
      const run = await trigger(t, task.id);
      expect((await waitForFinal(t, run.id, 10_000)).status).toBe("SUCCEEDED");
    }
    const burst = await Promise.all(Array.from({ length: 30 }, () => trigger(t, task.id)));
    for (const run of burst) expect((await waitForFinal(t, run.id, 10_000)).status).toBe("SUCCEEDED");
  });

  test("a retry starts when its delay is over", async () => {
    const task = await createTask(t, { name: "retry-on-time", kind: "HANDLER", config: { handler: "demo.fail" }, maxRetries: 1, retryDelaySeconds: 1 });
    const first = await trigger(t, task.id);
    const failed = await waitForFinal(t, first.id);
    const retry = await waitFor(async () => {
      const data = await t.ok(`query($id: ID!) { executions(first: 2, filter: { taskId: $id, trigger: [RETRY] }) { edges { node { id status startedAt } } } }`, { id: task.id }, "viewer");
      const node = data.executions.edges[0]?.node;
      return node && node.status === "FAILED" ? node : null;
    }, 10_000, "the retry to run");
    expect(new Date(retry.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(failed.finishedAt).getTime() + 1000);
  });

  test("retries due at different times each start on time", async () => {
    const soon = await createTask(t, { name: "retry-soon", kind: "HANDLER", config: { handler: "demo.fail" }, maxRetries: 1, retryDelaySeconds: 1 });
    const later = await createTask(t, { name: "retry-later", kind: "HANDLER", config: { handler: "demo.fail" }, maxRetries: 1, retryDelaySeconds: 2 });
    await Promise.all([trigger(t, later.id), trigger(t, soon.id)]);
    for (const task of [soon, later]) {
      await waitFor(async () => {
        const data = await t.ok(`query($id: ID!) { executions(first: 2, filter: { taskId: $id, trigger: [RETRY] }) { edges { node { status } } } }`, { id: task.id }, "viewer");
        return data.executions.edges[0]?.node.status === "FAILED";
      }, 10_000, `the retry of ${task.name} to run`);
    }
  });

  test("a long queue behind a running run does not hold up other tasks", async () => {
    const queued = await createTask(t, { name: "queued", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 4000 } }, overlapPolicy: "QUEUE" });
    const other = await createTask(t, { name: "other", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
    const first = await trigger(t, queued.id);
    await waitFor(async () => (await getExecution(t, first.id)).status === "RUNNING", 10_000, "the first queued run to start");
    // more waiting runs than one claim pass looks at (concurrency 10 × 4)
    await Promise.all(Array.from({ length: 45 }, () => trigger(t, queued.id)));
    const run = await trigger(t, other.id);
    expect((await waitForFinal(t, run.id, 10_000)).status).toBe("SUCCEEDED");
    expect((await getExecution(t, first.id)).status).toBe("RUNNING");
    await t.ok(`mutation($id: ID!) { disableTask(id: $id) { id } }`, { id: queued.id }, "operator");
  });
});

describe.runIf(testBackend() === "postgres")("several instances", () => {
  test("a lone instance sends no events over NOTIFY; after another one's hello it does again", async () => {
    const db = await createTestDatabase();
    const a = await startTestApp({ db, config: { peerHelloMs: 100 } });
    const listener = new pg.Client({ connectionString: db.url });
    let b: TestApp | undefined;
    try {
      await listener.connect();
      const heard: { o: string; m: { t: string; id?: number; row?: { status: string } }[] }[] = [];
      listener.on("notification", (n) => heard.push(JSON.parse(n.payload!)));
      await listener.query(`LISTEN jobgraph_events`);
      const fromA = () => heard.filter((p) => p.o === a.app.instanceId).flatMap((p) => p.m);
      const task = await createTask(a, { name: "talk", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: "ALLOW" });
      const rowId = (id: string) => decodeId(id, "Execution", "id");
      /** a run on A, and the messages about it that A sent before its next two hellos (messages
       *  go out in order, so by then every one sent while it ran has arrived) */
      const runOnA = async () => {
        const run = await trigger(a, task.id);
        await waitForFinal(a, run.id);
        const hellos = fromA().filter((m) => m.t === "hello").length;
        await waitFor(async () => fromA().filter((m) => m.t === "hello").length >= hellos + 2, 10_000, "two more hellos of A");
        return fromA().filter((m) => m.t === "execution" && m.id === rowId(run.id));
      };
      // at start an instance assumes company; its hello unanswered, it is quiet
      await waitFor(async () => (await runOnA()).length === 0, 15_000, "A to stop sending events nobody reads");
      expect(fromA().some((m) => m.t === "hello")).toBe(true);

      // another instance starts: its hello is answered, and A's events reach it
      b = await startTestApp({ db, config: { peerHelloMs: 100 } });
      const seenOnB: string[] = [];
      const off = b.app.services.bus.on("executionStatus", "*", (row) => void seenOnB.push(`${row.id}:${row.status}`));
      const run = await trigger(a, task.id);
      await waitForFinal(a, run.id);
      await waitFor(async () => seenOnB.includes(`${rowId(run.id)}:SUCCEEDED`), 10_000, "B to hear of A's run");
      expect((await runOnA()).length).toBeGreaterThan(0);
      off();
    } finally {
      await listener.end().catch(() => {});
      await b?.stop();
      await a.stop();
      await db.drop();
    }
  });

  test("a newcomer nobody answers takes itself as alone within seconds, not after three hello periods", async () => {
    const db = await createTestDatabase();
    const database = await openDatabase(db.target);
    const listener = new pg.Client({ connectionString: db.url });
    // hellos a minute apart: alone by the TTL would take three minutes
    const notifier = createPgNotifier(database.sql, "newcomer", createLogger("silent"), 60_000);
    try {
      await listener.connect();
      const hellos: string[] = [];
      listener.on("notification", (n) => hellos.push(...(JSON.parse(n.payload!) as { m: { t: string }[] }).m.map((m) => m.t)));
      await listener.query(`LISTEN ${CHANNEL}`);
      notifier.announce();
      expect(notifier.enabled).toBe(true);
      await waitFor(async () => hellos.includes("hello"), 10_000, "the newcomer's hello");
      const since = Date.now();
      await waitFor(async () => !notifier.enabled, 30_000, "the newcomer to take itself as alone");
      // its answer wait is 2 s; the margin is for a loaded machine's polling, not for the TTL
      expect(Date.now() - since).toBeLessThan(10_000);
      // an answer, however late, and it sends again
      notifier.heard("an-old-hand", { t: "hello" });
      expect(notifier.enabled).toBe(true);
    } finally {
      notifier.stop();
      await listener.end().catch(() => {});
      await database.close();
      await db.drop();
    }
  }, 60_000);

  /** A busy instance whose only slot a slow run holds (taken before the other instance exists, so
   *  it cannot be the one that claims it), an idle one beside it, and a quick task. */
  async function busyAndIdle(body: (s: { busy: TestApp; idle: TestApp; quickId: string }) => Promise<void>): Promise<void> {
    const db = await createTestDatabase();
    const busy = await startTestApp({ db, config: { ...noPoll, concurrency: 1 } });
    let idle: TestApp | undefined;
    try {
      const slow = await createTask(busy, { name: "slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 20_000 } } });
      const quick = await createTask(busy, { name: "quick", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
      const blocker = await trigger(busy, slow.id);
      await waitFor(async () => (await busy.app.db.prisma.execution.count({ where: { status: "RUNNING", workerId: busy.app.instanceId } })) === 1, 10_000, "the slow run to hold the busy instance");
      idle = await startTestApp({ db, config: noPoll });
      await body({ busy, idle, quickId: quick.id });
      await busy.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: blocker.id }, "operator");
    } finally {
      await idle?.stop();
      await busy.stop();
      await db.drop();
    }
  }

  test("a run due later (a fire written ahead) that one instance made starts on another one at its time", () =>
    busyAndIdle(async ({ busy, idle, quickId }) => {
      // made the way the fire path makes a fire written ahead: committed, then published
      const due = new Date(Date.now() + 1500);
      const { executions } = busy.app.services;
      const row = await busy.app.db.prisma.$transaction((tx) => executions.insertRun(tx, { taskId: decodeId(quickId, "Task", "id"), trigger: "SCHEDULE", scheduledAt: due, runAfter: due }));
      executions.created([row]);
      // the idle instance heard when it is due (its poll is a minute away) and took it then
      const done = await waitFor(async () => {
        const r = await busy.app.db.prisma.execution.findUniqueOrThrow({ where: { id: row.id } });
        return r.status === "SUCCEEDED" ? r : null;
      }, 15_000, "the run to start on the idle instance");
      expect(done.workerId).toBe(idle.app.instanceId);
      expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(due.getTime());
    }));

  test("a trigger on a busy instance is picked up by another one at once (LISTEN/NOTIFY), also after the database dropped the LISTEN connections", () =>
    busyAndIdle(async ({ busy, idle, quickId }) => {
      // the database drops every LISTEN connection (a restart, a network cut): they come back
      const admin = new pg.Client({ connectionString: busy.db.url });
      await admin.connect();
      const listening = async () =>
        (await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`)).rows.map((r) => r.pid as number);
      const before = await listening();
      expect(before).toHaveLength(2);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [before]);
      await waitFor(async () => {
        const now = await listening();
        return now.length === 2 && now.every((pid) => !before.includes(pid));
      }, 10_000, "both instances to listen again on new connections");
      await admin.end();

      const run = await trigger(busy, quickId);
      const done = await waitForFinal(busy, run.id, 10_000);
      expect(done.status).toBe("SUCCEEDED");
      const row = await busy.app.db.prisma.execution.findUniqueOrThrow({ where: { id: decodeId(run.id, "Execution", "id") } });
      expect(row.workerId).toBe(idle.app.instanceId);
    }));
});
