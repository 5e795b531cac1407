// Alerts end to end: channels over GraphQL, the outbox consumed into deliveries, real HTTP
// receivers on 127.0.0.1 that verify signatures, retries while a receiver is down, grouping.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { enqueueAlerts } from "../src/alerts/outbox.ts";
import { createTask, startTestApp, waitFor, type TestApp } from "./helpers/app.ts";
import { startReceiver, verifySignature, type Receiver } from "./helpers/receiver.ts";

const SECRET = "receiver-shared-secret";
const CHANNEL = `id name kind url events tasks tags enabled hasSecret`;
const DELIVERY = `id event status count attempts lastError responseStatus payload deliveredAt channel { id name } task { name } execution { id }`;

async function channel(t: TestApp, input: Record<string, unknown>) {
  return (await t.ok(`mutation($input: AlertChannelInput!) { createAlertChannel(input: $input) { ${CHANNEL} } }`, { input })).createAlertChannel;
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

  test("each event the engine writes reaches the receiver, signed, naming task, execution, status, error, attempt, times and link", async () => {
    const task = await createTask(t, { name: "nightly_sync", kind: "HANDLER", config: { handler: "demo.sleep" } });
    const taskId = Number(Buffer.from(task.id, "base64").toString().split(":")[1]);
    const prisma = t.app.db.prisma;
    const exec = await prisma.execution.create({ data: { taskId, trigger: "SCHEDULE", scheduledAt: new Date("2027-01-04T07:30:00Z"), status: "FAILED", attempt: 3, error: "exit code 1: upstream closed", startedAt: new Date("2027-01-04T07:30:01Z"), finishedAt: new Date("2027-01-04T07:31:00Z") } });
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
});
