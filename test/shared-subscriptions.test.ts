// Identical WebSocket subscriptions share one source and one execution per event
// (src/server/shared-subscriptions.ts), over real graphql-ws clients, one socket each: every
// subscriber still gets every event once and in order; different arguments, or roles that see
// different things, are never merged; the last one to leave closes the source and its bus
// listener; a stream that starts with a snapshot is not shared, so a late joiner gets its own;
// one subscriber's token expiring ends only its own socket.
import { once } from "node:events";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createTask, getExecution, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";

let t: TestApp;
let receiver: Receiver;
let seq = 0;
const unique = (base: string) => `${base}-${++seq}`;

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
  await receiver?.close();
});

/** the server's shared sources and the subscribers they feed */
const shared = () => t.app.http!.sharedSubscriptions();
/** bus listeners of GraphQL subscriptions (engine listeners excluded) */
const busListeners = () => t.app.services.bus.subscriberCount();

interface Feed {
  /** every message as received: data and errors */
  messages: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] }[];
  /** the subscribed field of each message */
  events(): any[];
  stop(): void;
}

const opened: Feed[] = [];

function feed(client: Client, query: string, variables: Record<string, unknown> = {}): Feed {
  const messages: Feed["messages"] = [];
  const stop = client.subscribe({ query, variables }, { next: (m) => void messages.push(m as Feed["messages"][number]), error: () => {}, complete: () => {} });
  const f = { messages, events: () => messages.map((m) => (m.data ? Object.values(m.data)[0] : null)), stop };
  opened.push(f);
  return f;
}

// a failed test must not leave its subscribers to the next one
afterEach(async () => {
  for (const f of opened.splice(0)) f.stop();
  await waitFor(async () => shared().sources === 0 && busListeners() === 0, 10_000, "every subscription to be released");
});

/** jobgraph_subscriptions as /metrics says it */
async function subscriptionsMetric(): Promise<number> {
  const text = await (await fetch(new URL("/metrics", t.url))).text();
  return Number(/^jobgraph_subscriptions (\S+)$/m.exec(text)?.[1]);
}

const snapshot = async () => ({ ...shared(), bus: busListeners(), metric: await subscriptionsMetric() });

/** `n` more subscribers than `before` joined, and their sources listen on the bus: events
 *  published from now on reach them (a source counts its subscribers as soon as they join, but
 *  listens only once its start, the first subscriber's own subscribe, has run) */
const joined = (before: Awaited<ReturnType<typeof snapshot>>, n: number, listeners: number, what: string) =>
  waitFor(async () => shared().subscribers === before.subscribers + n && busListeners() === before.bus + listeners, 20_000, what);

/** every feed stopped, and the server has released what they held */
async function stopAll(feeds: Feed[], before: { sources: number; bus: number }) {
  for (const f of feeds) f.stop();
  await waitFor(async () => shared().sources === before.sources && busListeners() === before.bus, 10_000, "the shared sources to close");
}

const EVENTS = `subscription { executionEvents { id status task { id } } }`;

describe("identical subscriptions share one source", () => {
  test("30 identical subscribers: one source, one bus listener; each gets every event once, in order", async () => {
    const before = await snapshot();
    // ALLOW: no run of the five is skipped for overlapping another
    const task = await createTask(t, { name: unique("fanout"), kind: "HANDLER", overlapPolicy: "ALLOW", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
    const feeds = Array.from({ length: 30 }, () => feed(t.ws("viewer"), EVENTS));
    await joined(before, 30, 1, "30 subscribers to join");
    expect(shared().sources).toBe(before.sources + 1);
    // the metric counts subscriptions, not bus listeners
    expect(await subscriptionsMetric()).toBe(before.metric + 30);
    expect(busListeners()).toBe(before.bus + 1);

    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await trigger(t, task.id));
    for (const r of runs) await waitForFinal(t, r.id);
    const mine = (f: Feed) => f.events().filter((e) => e.task.id === task.id);
    await waitFor(async () => feeds.every((f) => mine(f).length >= 15), 20_000, "every subscriber to get 15 events");

    const first = mine(feeds[0]!);
    // each run's changes exactly once, in the order they happened
    for (const r of runs) expect(first.filter((e) => e.id === r.id).map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    expect(first).toHaveLength(15);
    // and the same sequence for everyone
    for (const f of feeds) expect(mine(f)).toEqual(first);
    for (const f of feeds) expect(f.messages.every((m) => !m.errors)).toBe(true);
    await stopAll(feeds, before);
  });

  test("the last one to leave closes the shared source and its bus listener; the next subscriber starts a new one", async () => {
    const before = await snapshot();
    const feeds = Array.from({ length: 6 }, () => feed(t.ws("viewer"), EVENTS));
    await joined(before, 6, 1, "6 subscribers to join");
    for (const f of feeds.slice(0, 5)) f.stop();
    await waitFor(async () => shared().subscribers === before.subscribers + 1, 10_000, "5 to leave");
    // one left: the source and its listener stay for it
    expect(shared().sources).toBe(before.sources + 1);
    expect(busListeners()).toBe(before.bus + 1);
    feeds[5]!.stop();
    await waitFor(async () => shared().sources === before.sources, 10_000, "the source to close");
    expect(busListeners()).toBe(before.bus);

    const task = await createTask(t, { name: unique("fanout-again"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
    const again = feed(t.ws("viewer"), EVENTS);
    await joined(before, 1, 1, "the new subscriber to join");
    const run = await trigger(t, task.id);
    await waitFor(async () => again.events().filter((e) => e.id === run.id).length === 3, 15_000, "the new source to deliver");
    await stopAll([again], before);
  });

  test("different arguments are different streams: each subscriber gets only its own events", async () => {
    const before = await snapshot();
    const a = await createTask(t, { name: unique("changed-a"), kind: "HANDLER", config: { handler: "demo.sleep" } });
    const b = await createTask(t, { name: unique("changed-b"), kind: "HANDLER", config: { handler: "demo.sleep" } });
    const CHANGED = `subscription($id: ID) { taskChanged(id: $id) { id task { name paused } } }`;
    const forA = [1, 2, 3].map(() => feed(t.ws("viewer"), CHANGED, { id: a.id }));
    const forB = [1, 2, 3].map(() => feed(t.ws("viewer"), CHANGED, { id: b.id }));
    const forAll = [1, 2, 3].map(() => feed(t.ws("viewer"), CHANGED, {}));
    await joined(before, 9, 3, "9 subscribers to join");
    expect(shared().sources).toBe(before.sources + 3);

    await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { id } }`, { id: a.id });
    await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { id } }`, { id: b.id });
    await waitFor(async () => [...forA, ...forB].every((f) => f.events().length >= 1) && forAll.every((f) => new Set(f.events().map((e) => e.id)).size === 2), 15_000, "the changes to arrive");
    for (const f of forA) expect(new Set(f.events().map((e) => e.id))).toEqual(new Set([a.id]));
    for (const f of forB) expect(new Set(f.events().map((e) => e.id))).toEqual(new Set([b.id]));
    for (const f of forA) expect(f.events().at(-1).task).toEqual({ name: a.name, paused: true });
    // subscribers of one stream see the same sequence
    for (const group of [forA, forB, forAll]) {
      await waitFor(async () => group.every((f) => f.events().length === group[0]!.events().length), 10_000, "the group to agree");
      for (const f of group) expect(f.events()).toEqual(group[0]!.events());
    }
    await stopAll([...forA, ...forB, ...forAll], before);
  });

  test("viewers share with viewers, not with an admin: what their roles may see differs", async () => {
    const before = await snapshot();
    const channel = (await t.ok(`mutation($input: AlertChannelInput!) { createAlertChannel(input: $input) { id } }`, {
      input: { name: unique("fanout hook"), kind: "WEBHOOK", url: receiver.url, events: ["FAILED"] },
    })).createAlertChannel;
    const DELIVERIES = `subscription { alertDeliveries { id status channel { name } } }`;
    // two viewers with different subjects share one stream; the admin has its own
    const alice = feed(t.ws(null, await t.token("viewer", "alice")), DELIVERIES);
    const bob = feed(t.ws(null, await t.token("viewer", "bob")), DELIVERIES);
    const admin = feed(t.ws("admin"), DELIVERIES);
    await joined(before, 3, 2, "3 subscribers to join");
    expect(shared().sources).toBe(before.sources + 2);

    await t.ok(`mutation($id: ID!) { testAlertChannel(id: $id) { id } }`, { id: channel.id });
    await waitFor(async () => admin.events().some((d) => d?.status === "DELIVERED"), 15_000, "the delivery to be DELIVERED");
    await waitFor(async () => alice.messages.length === admin.messages.length && bob.messages.length === admin.messages.length, 10_000, "the viewers to get as many");
    // the admin sees the channel; a viewer may not (AlertChannel is admin-only)
    for (const m of admin.messages) expect(m.data.alertDeliveries.channel.name).toMatch(/^fanout hook/);
    for (const m of alice.messages) expect(m.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(bob.messages).toEqual(alice.messages);
    await stopAll([alice, bob, admin], before);
  });

  test("activeExecutions (a snapshot first) is not shared: a late joiner gets its own, current snapshot", async () => {
    const before = await snapshot();
    const task = await createTask(t, { name: unique("active"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const ACTIVE = `subscription($taskId: ID) { activeExecutions(taskId: $taskId, intervalMs: 50) { snapshot executions { id status } } }`;
    const early = feed(t.ws("viewer"), ACTIVE, { taskId: task.id });
    await waitFor(async () => early.events().length >= 1, 10_000, "the first snapshot");
    expect(early.events()[0]).toEqual({ snapshot: true, executions: [] });

    const run = await trigger(t, task.id);
    await waitFor(async () => (await getExecution(t, run.id)).status === "RUNNING", 15_000, "the run to start");
    const late = feed(t.ws("viewer"), ACTIVE, { taskId: task.id });
    await waitFor(async () => late.events().length >= 1, 10_000, "the late joiner's snapshot");
    expect(late.events()[0]).toEqual({ snapshot: true, executions: [{ id: run.id, status: "RUNNING" }] });
    // the early one learnt of the run from its own batches, not from a second snapshot
    await waitFor(async () => early.events().some((b) => !b.snapshot && b.executions.some((e: any) => e.id === run.id && e.status === "RUNNING")), 10_000, "the early one's batch");
    expect(early.events().filter((b) => b.snapshot)).toHaveLength(1);
    expect(shared().sources).toBe(before.sources);

    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: run.id });
    await waitForFinal(t, run.id);
    for (const f of [early, late]) f.stop();
    await waitFor(async () => busListeners() === before.bus, 10_000, "the listeners to go");
  });

  test("a shared subscriber whose token expires is closed (4401); the others sharing with it go on", async () => {
    const before = await snapshot();
    const task = await createTask(t, { name: unique("expiry"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } } });
    const short = await t.app.tokens.mint({ sub: "short", role: "viewer" }, "4s");
    let closed!: (e: { code: number; reason: string }) => void;
    const closedAt = new Promise<{ code: number; reason: string }>((r) => (closed = r));
    const expiring = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => {},
      connectionParams: { authorization: `Bearer ${short}` },
      on: { closed: (e) => closed(e as { code: number; reason: string }) },
    });
    const doomed = feed(expiring, EVENTS);
    const lasting = feed(t.ws("viewer"), EVENTS);
    await joined(before, 2, 1, "both to join");
    expect(shared().sources).toBe(before.sources + 1);

    expect(await closedAt).toMatchObject({ code: 4401, reason: "token expired" });
    await waitFor(async () => shared().subscribers === before.subscribers + 1, 10_000, "the expired one to leave");
    expect(shared().sources).toBe(before.sources + 1);
    const run = await trigger(t, task.id);
    await waitFor(async () => lasting.events().filter((e) => e.id === run.id).length === 3, 15_000, "the other to get the run");
    expect(doomed.events().filter((e) => e.id === run.id)).toEqual([]);
    await expiring.dispose();
    await stopAll([lasting], before);
  });

  test("a sharer that stops reading delays no one: the others get every event, the server stays up", async () => {
    const before = await snapshot();
    // ~200 kB per event: the stalled socket's kernel buffers fill after a few dozen
    const task = await createTask(t, { name: unique("fat"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { pad: "x".repeat(200_000) } } });
    const FAT = `subscription($id: ID) { taskChanged(id: $id) { id task { paused config } } }`;
    const fast = [1, 2].map(() => feed(t.ws("viewer"), FAT, { id: task.id }));
    const slow = new WebSocket(t.wsUrl, "graphql-transport-ws");
    await once(slow, "open");
    let slowNext = 0;
    slow.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === "connection_ack") slow.send(JSON.stringify({ id: "slow", type: "subscribe", payload: { query: FAT, variables: { id: task.id } } }));
      if (msg.type === "next") slowNext++;
    });
    slow.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${await t.token("viewer")}` } }));
    try {
      await joined(before, 3, 1, "3 subscribers to join");
      expect(shared().sources).toBe(before.sources + 1);
      slow.pause(); // reads nothing from now on

      const switches = 40;
      for (let i = 0; i < switches; i++) await t.ok(`mutation($id: ID!) { ${i % 2 ? "resumeTask" : "pauseTask"}(id: $id) { id } }`, { id: task.id });
      await waitFor(async () => fast.every((f) => f.events().length === switches), 30_000, "the readers to get every switch");
      // one shared execution per event (the task as it is when the event is resolved): the
      // readers see the same sequence, ending with the final state (resumed)
      for (const f of fast) expect(f.events()).toEqual(fast[0]!.events());
      expect(fast[0]!.events().at(-1).task.paused).toBe(false);
      expect(slowNext).toBeLessThan(switches);
      expect((await fetch(t.url.replace(/\/graphql$/, "/health"))).status).toBe(200);
      expect(slow.readyState).toBe(WebSocket.OPEN);

      // once it reads again, it gets what it missed (fewer than its queue holds), the last last
      slow.resume();
      await waitFor(async () => slowNext === switches, 30_000, "the slow one to catch up");
    } finally {
      slow.terminate();
    }
    await stopAll(fast, before);
  });
});
