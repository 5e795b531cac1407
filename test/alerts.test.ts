// Alerts end to end: channels over GraphQL, the outbox consumed into deliveries, real HTTP
// receivers on 127.0.0.1 that verify signatures, retries while a receiver is down, grouping.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { enqueueAlerts } from "../src/alerts/outbox.ts";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { collect, createTask, startTestApp, waitFor, type TestApp } from "./helpers/app.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { startReceiver, verifySignature, type Receiver } from "./helpers/receiver.ts";

const SECRET = "receiver-shared-secret";
const CHANNEL = `id name kind url events tasks tags enabled hasSecret`;
const DELIVERY = `id event status count attempts lastError responseStatus payload deliveredAt channel { id name } task { name } execution { id }`;

async function channel(t: TestApp, input: Record<string, unknown>) {
  return (await t.ok(`mutation($input: AlertChannelInput!) { createAlertChannel(input: $input) { ${CHANNEL} } }`, { input })).createAlertChannel;
}

const rowId = (globalId: string) => Number(decodeGlobalID(globalId).id);

/** FAILED causes for a task, the way the state machine writes them */
function failures(taskId: number, taskName: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({ event: "FAILED" as const, taskId, payload: { taskName, status: "FAILED", error: `failure ${i + 1}`, attempt: 1 } }));
}

async function deliveries(t: TestApp, args = "") {
  const data = await t.ok(`{ alertDeliveries(first: 100${args}) { totalCount edges { node { ${DELIVERY} } } } }`);
  return data.alertDeliveries.edges.map((e: any) => e.node);
}

describe("alerts", () => {
  let t: TestApp;
  let receiver: Receiver;
  let hook: any;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp({ config: { alertRetryBaseMs: 200, alertTimeoutMs: 2000, publicUrl: "https://jobgraph.example" } });
    hook = await channel(t, { name: "ops hook", kind: "WEBHOOK", url: receiver.url, secret: SECRET, events: ["FAILED", "TIMED_OUT", "LEASE_LOST", "RECOVERED", "MISSED_FIRE", "DEADLINE_MISSED", "CALENDAR_GAP"] });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.respond = () => 200;
  });

  test("channels: validated, the secret is write-only, only admins see them", async () => {
    expect(hook).toMatchObject({ kind: "WEBHOOK", hasSecret: true, tasks: null, tags: null, enabled: true });
    expect(JSON.stringify(await t.ok(`{ alertChannels { ${CHANNEL} } }`))).not.toContain(SECRET);
    const bad = await t.gql(`mutation { createAlertChannel(input: { name: "x", kind: SLACK, url: "ftp://nope", events: [FAILED] }) { id } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "input.url" });
    const none = await t.gql(`mutation { createAlertChannel(input: { name: "y", kind: SLACK, url: "http://127.0.0.1:1/x", events: [] }) { id } }`);
    expect(none.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "input.events" });
    const dup = await t.gql(`mutation($u: String!) { createAlertChannel(input: { name: "ops hook", kind: SLACK, url: $u, events: [FAILED] }) { id } }`, { u: receiver.url });
    expect(dup.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const viewer = await t.gql(`{ alertChannels { id } }`, {}, "viewer");
    expect(viewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await t.app.db.prisma.alertChannel.count()).toBe(1);
  });

  test("testAlertChannel sends a signed TEST message at once and returns its delivery", async () => {
    const d = (await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { ${DELIVERY} } }`, { id: hook.id })).testAlertChannel;
    expect(d).toMatchObject({ event: "TEST", status: "DELIVERED", attempts: 1, responseStatus: 200, channel: { name: "ops hook" } });
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(verifySignature(SECRET, req!.headers, req!.body)).toBe(true);
    expect(verifySignature("another-secret", req!.headers, req!.body)).toBe(false);
    expect(req!.json).toMatchObject({ event: "TEST", count: 1 });
    const audit = await t.ok(`{ auditEvents(first: 1, action: "alertChannel.test") { edges { node { ok actor } } } }`, {}, "viewer");
    expect(audit.auditEvents.edges[0].node).toEqual({ ok: true, actor: "admin-user" });
  });

  test("end to end with the real engine: a failing run raises FAILED once its retries are spent, a timeout TIMED_OUT, the next success RECOVERED", async () => {
    const ofTask = (name: string, event: string) => () => receiver.accepted().find((r) => r.json.event === event && r.json.task?.name === name);
    const flaky = await createTask(t, { name: "e2e-flaky", kind: "HANDLER", config: { handler: "demo.fail", defaults: { message: "vendor feed down" } }, maxRetries: 1, retryDelaySeconds: 0 });
    await t.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: flaky.id }, "operator");
    const failed = await waitFor(async () => ofTask("e2e-flaky", "FAILED")(), 30_000, "FAILED alert");
    expect(verifySignature(SECRET, failed.headers, failed.body)).toBe(true);
    expect(failed.json).toMatchObject({ event: "FAILED", execution: { status: "FAILED", attempt: 2, error: "vendor feed down" } });
    // only the final attempt alerted: the first failure was retried
    expect(receiver.accepted().filter((r) => r.json.event === "FAILED" && r.json.task?.name === "e2e-flaky")).toHaveLength(1);

    const slow = await createTask(t, { name: "e2e-slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } }, timeoutSeconds: 1 });
    await t.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: slow.id }, "operator");
    const timedOut = await waitFor(async () => ofTask("e2e-slow", "TIMED_OUT")(), 30_000, "TIMED_OUT alert");
    expect(timedOut.json).toMatchObject({ event: "TIMED_OUT", execution: { status: "TIMED_OUT" } });

    await t.ok(`mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }`, { id: flaky.id, input: { config: { handler: "demo.sleep", defaults: { ms: 0 } } } });
    await t.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: flaky.id }, "operator");
    const recovered = await waitFor(async () => ofTask("e2e-flaky", "RECOVERED")(), 30_000, "RECOVERED alert");
    expect(recovered.json).toMatchObject({ event: "RECOVERED", execution: { status: "SUCCEEDED" } });
  }, 120_000);

  test("each event the engine writes reaches the receiver, signed, naming task, execution, status, error, attempt, times and link", async () => {
    const task = await createTask(t, { name: "nightly_sync", kind: "HANDLER", config: { handler: "demo.sleep" } });
    const taskId = Number(Buffer.from(task.id, "base64").toString().split(":")[1]);
    const prisma = t.app.db.prisma;
    const exec = await prisma.execution.create({ data: { taskId, trigger: "SCHEDULE", scheduledAt: new Date("2027-01-04T07:30:00Z"), status: "FAILED", attempt: 3, error: "exit code 1: upstream closed", startedAt: new Date("2027-01-04T07:30:01Z"), finishedAt: new Date("2027-01-04T07:31:00Z") } });
    // a row no deliverer understands (a newer writer) does not block the ones behind it
    await prisma.outbox.create({ data: { topic: "alert", event: "FROM_THE_FUTURE", payload: {} } });
    // what the state machine writes in the transaction of each state change (branch `engine`)
    const events = ["FAILED", "TIMED_OUT", "LEASE_LOST", "RECOVERED"] as const;
    await enqueueAlerts(prisma, events.map((event) => ({
      event,
      taskId,
      executionId: exec.id,
      payload: { taskName: "nightly_sync", status: event === "RECOVERED" ? "SUCCEEDED" : event === "TIMED_OUT" ? "TIMED_OUT" : "FAILED", error: "exit code 1: upstream closed", attempt: 3, scheduledAt: "2027-01-04T07:30:00.000Z", startedAt: "2027-01-04T07:30:01.000Z", finishedAt: "2027-01-04T07:31:00.000Z" },
    })));
    await waitFor(async () => receiver.accepted().length >= 4, 15_000, "four alerts");
    const got = receiver.accepted();
    expect(got.map((r) => r.json.event).sort()).toEqual([...events].sort());
    for (const r of got) {
      expect(verifySignature(SECRET, r.headers, r.body)).toBe(true);
      expect(r.headers["x-jobgraph-event"]).toBe(r.json.event);
      expect(r.json.task).toMatchObject({ id: task.id, name: "nightly_sync" });
      expect(r.json.execution).toMatchObject({ attempt: 3, error: "exit code 1: upstream closed", scheduledAt: "2027-01-04T07:30:00.000Z", finishedAt: "2027-01-04T07:31:00.000Z" });
      expect(r.json.execution.url).toBe(`https://jobgraph.example/executions/${r.json.execution.id}`);
      expect(r.json.text).toContain("nightly_sync");
    }
    const rows = await deliveries(t, ", event: FAILED");
    expect(rows[0]).toMatchObject({ status: "DELIVERED", task: { name: "nightly_sync" }, attempts: 1 });
    expect(await prisma.outbox.count({ where: { processedAt: null } })).toBe(0);
  });

  test("a receiver that is down, then up, gets the alert once, after retries with the same delivery id", async () => {
    // a port nobody listens on yet
    const probe = await startReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const down = await channel(t, { name: "later", kind: "WEBHOOK", url: `http://127.0.0.1:${port}/hook`, events: ["FAILED"], tasks: ["flaky"] });
    const task = await createTask(t, { name: "flaky", kind: "HANDLER", config: { handler: "demo.sleep" } });
    await enqueueAlerts(t.app.db.prisma, failures(rowId(task.id), "flaky", 1));
    const failing = await waitFor(async () => {
      const [d] = await deliveries(t, `, channelId: "${down.id}"`);
      return d && d.attempts >= 2 ? d : null;
    }, 15_000, "two failed attempts");
    expect(failing).toMatchObject({ status: "PENDING", responseStatus: null });
    expect(failing.lastError).toMatch(/ECONNREFUSED/);
    const late = await startReceiver(port);
    try {
      late.respond = (_req, n) => (n === 0 ? 503 : 200); // up, but busy for its first request
      const done = await waitFor(async () => {
        const [d] = await deliveries(t, `, channelId: "${down.id}"`);
        return d?.status === "DELIVERED" ? d : null;
      }, 15_000, "the delivery");
      expect(done.attempts).toBeGreaterThanOrEqual(4);
      expect(late.requests.map((r) => r.status)).toEqual([503, 200]);
      expect(new Set(late.requests.map((r) => r.headers["x-jobgraph-delivery"])).size).toBe(1);
      expect(late.accepted()).toHaveLength(1);
    } finally {
      await late.close();
    }
  });

  test("a delivery still failing a day after it was made is given up as FAILED", async () => {
    const dead = await channel(t, { name: "dead", kind: "SLACK", url: "http://127.0.0.1:1/never", events: ["FAILED"], tasks: ["nobody"] });
    const first = (await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { id status attempts lastError } }`, { id: dead.id })).testAlertChannel;
    expect(first).toMatchObject({ status: "PENDING", attempts: 1, lastError: expect.stringMatching(/^POST failed/) });
    // as if it had been retried for a day
    await t.app.db.prisma.alertDelivery.update({ where: { id: rowId(first.id) }, data: { createdAt: new Date(Date.now() - 24 * 3600_000), nextAttemptAt: new Date() } });
    const failed = await waitFor(async () => {
      const [d] = await deliveries(t, `, channelId: "${dead.id}"`);
      return d?.status === "FAILED" ? d : null;
    }, 15_000, "the delivery to be given up");
    expect(failed.attempts).toBe(2);
  });

  test("50 failures of one task in a short time make one message with a count", async () => {
    const task = await createTask(t, { name: "stormy", kind: "HANDLER", config: { handler: "demo.sleep" } });
    const taskId = rowId(task.id);
    // one by one, while the consumer and the sender run
    for (const cause of failures(taskId, "stormy", 50)) await enqueueAlerts(t.app.db.prisma, [cause]);
    await waitFor(async () => (await t.app.db.prisma.outbox.count({ where: { taskId, processedAt: null } })) === 0, 15_000, "the outbox to drain");
    const rows = await t.app.db.prisma.alertDelivery.findMany({ where: { taskId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(50);
    await waitFor(async () => receiver.accepted().some((r) => r.json.task?.name === "stormy"), 10_000, "the message");
    expect(receiver.requests.filter((r) => r.json.task?.name === "stormy")).toHaveLength(1);
  });

  test("the alertDeliveries subscription streams new deliveries and their outcome", async () => {
    const ws = t.ws("viewer");
    const events = collect(ws, `subscription { alertDeliveries { event status } }`, {}, (e) => e.length >= 2);
    await waitFor(async () => t.app.services.bus.subscriberCount() > 0, 5000, "the subscription");
    await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { id } }`, { id: hook.id });
    expect(await events).toEqual([{ event: "TEST", status: "PENDING" }, { event: "TEST", status: "DELIVERED" }]);
  });

  test("deliveries by status on /metrics; a deadline out of range is refused", async () => {
    await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { id } }`, { id: hook.id });
    const text = await (await fetch(new URL("/metrics", t.url))).text();
    const rows = await t.app.db.prisma.alertDelivery.groupBy({ by: ["status"], _count: { _all: true } });
    for (const status of ["PENDING", "DELIVERED", "FAILED"]) {
      const line = text.split("\n").find((l) => l.startsWith(`jobgraph_alert_deliveries{status="${status}"}`));
      expect(Number(line?.split(" ")[1]), status).toBe(rows.find((r) => r.status === status)?._count._all ?? 0);
    }
    expect(rows.find((r) => r.status === "DELIVERED")?._count._all).toBeGreaterThan(0);
    const bad = await t.gql(`mutation { createTask(input: { name: "late", kind: HANDLER, config: { handler: "demo.sleep" }, deadlineSeconds: 0 }) { id } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "input.deadlineSeconds" });
  });

  test("MISSED_FIRE: fires missed while no instance was up reach the receiver", async () => {
    const task = await createTask(t, { name: "missed", kind: "HANDLER", config: { handler: "demo.sleep" }, schedule: { intervalSeconds: 3600 }, misfirePolicy: "RUN_ONCE" });
    // as after two hours of downtime: the persisted next fire is long past
    await t.app.db.prisma.task.update({ where: { id: rowId(task.id) }, data: { nextRunAt: new Date(Date.now() - 2 * 3600_000) } });
    await t.app.engine.taskChanged(rowId(task.id)); // a change behind the API's back: tell the fire path
    const got = await waitFor(async () => receiver.accepted().find((r) => r.json.event === "MISSED_FIRE"), 15_000, "MISSED_FIRE");
    expect(verifySignature(SECRET, got.headers, got.body)).toBe(true);
    expect(got.json.task.name).toBe("missed");
    expect(got.json.details).toMatchObject({ policy: "RUN_ONCE", missed: 2, caughtUp: 1 });
  });

  test("DEADLINE_MISSED once per fire, derived from the schedule: fires that never ran and runs that failed", async () => {
    const prisma = t.app.db.prisma;
    const quiet = await createTask(t, { name: "deadline-never-ran", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, schedule: { cron: "* * * * * *" }, deadlineSeconds: 3, misfirePolicy: "SKIP" });
    const failing = await createTask(t, { name: "deadline-fails", kind: "HANDLER", config: { handler: "demo.fail" }, schedule: { cron: "* * * * * *" }, deadlineSeconds: 1 });
    const createdAt = await prisma.task.findUniqueOrThrow({ where: { id: rowId(quiet.id) } }).then((x) => x.createdAt);
    // every instance was down for the 20 seconds before: those fires were never even skipped on record
    await prisma.task.update({ where: { id: rowId(quiet.id) }, data: { createdAt: new Date(createdAt.getTime() - 20_000) } });
    const rows = await waitFor(async () => {
      const r = await prisma.outbox.findMany({ where: { event: "DEADLINE_MISSED" } });
      const before = r.filter((x) => x.taskId === rowId(quiet.id) && new Date((x.payload as { scheduledAt: string }).scheduledAt) < createdAt);
      return before.length >= 15 && r.some((x) => x.taskId === rowId(failing.id)) ? r : null;
    }, 20_000, "deadline alerts");
    await t.ok(`mutation($a: ID!, $b: ID!) { a: disableTask(id: $a) { id } b: disableTask(id: $b) { id } }`, { a: quiet.id, b: failing.id });
    const neverRan = rows.filter((r) => r.taskId === rowId(quiet.id) && new Date((r.payload as { scheduledAt: string }).scheduledAt) < createdAt);
    for (const r of neverRan) {
      const p = r.payload as { scheduledAt: string; status: string };
      expect(r.key).toBe(`DEADLINE_MISSED:${rowId(quiet.id)}:${p.scheduledAt}`);
      expect(p.status).toBe("NOT_RUN");
    }
    const failed = rows.filter((r) => r.taskId === rowId(failing.id));
    for (const r of failed) expect((r.payload as { status: string }).status).toBe("FAILED");
    await waitFor(async () => receiver.accepted().filter((r) => r.json.event === "DEADLINE_MISSED").length >= 2, 15_000, "both tasks' messages");
    // grouped: one message per task, the rest counted
    const messages = receiver.accepted().filter((r) => r.json.event === "DEADLINE_MISSED");
    expect(messages.map((r) => r.json.task.name).sort()).toEqual(["deadline-fails", "deadline-never-ran"]);
    for (const r of messages) expect(verifySignature(SECRET, r.headers, r.body)).toBe(true);
  });
});

describe.runIf(testBackend() === "postgres")("two instances on one database", () => {
  test("deliver each alert once, and group 50 failures into one message", async () => {
    const receiver = await startReceiver();
    const db = await createTestDatabase();
    const a = await startTestApp({ db, config: { alertRetryBaseMs: 200 } });
    const b = await startTestApp({ db, config: { alertRetryBaseMs: 200 } });
    try {
      await channel(a, { name: "hook", kind: "WEBHOOK", url: receiver.url, secret: SECRET, events: ["FAILED", "LEASE_LOST"] });
      const task = await createTask(a, { name: "shared", kind: "HANDLER", config: { handler: "demo.sleep" } });
      const taskId = rowId(task.id);
      await enqueueAlerts(a.app.db.prisma, [{ event: "LEASE_LOST", taskId, payload: { taskName: "shared", status: "FAILED", error: "lease lost" } }]);
      for (const cause of failures(taskId, "shared", 50)) await enqueueAlerts((cause.payload.error.endsWith("0") ? b : a).app.db.prisma, [cause]);
      await waitFor(async () => receiver.accepted().length >= 2, 15_000, "two messages");
      // a later alert delivered proves both instances went round again after the first two
      await enqueueAlerts(b.app.db.prisma, [{ event: "FAILED", taskId: null, payload: { message: "sentinel" } }]);
      await waitFor(async () => receiver.accepted().length >= 3, 15_000, "the sentinel");
      expect(receiver.requests.map((r) => r.json.event).sort()).toEqual(["FAILED", "FAILED", "LEASE_LOST"]);
      expect(receiver.requests.every((r) => verifySignature(SECRET, r.headers, r.body))).toBe(true);
      const grouped = await a.app.db.prisma.alertDelivery.findMany({ where: { taskId, event: "FAILED" } });
      expect(grouped.map((d) => d.count)).toEqual([50]);
    } finally {
      await b.stop();
      await a.stop();
      await db.drop();
      await receiver.close();
    }
  });
});
