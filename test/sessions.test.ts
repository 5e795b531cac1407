// A WebSocket session lasts as long as its token: open subscriptions end at `exp` (close 4401),
// later operations on the socket are UNAUTHENTICATED. Subscriptions of things that do not exist
// answer NOT_FOUND and complete; the log stream completes after the run's final state and last line.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeId } from "../src/graphql/ids.ts";
import { collect, createTask, noSubscriptionsHeld, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { scriptFolder } from "./helpers/scripts.ts";
import { wsResult } from "./helpers/ws.ts";

let t: TestApp;
const scripts = scriptFolder("jobgraph-sessions-");
const clients: Client[] = [];
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.stop();
  scripts.remove();
});

/** a socket that connects at once and stays open while idle (the helper's client is lazy) */
function eagerClient(token: string): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let onClosed!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = createClient({
    url: t.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {}, // the close is what the tests look at
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (e) => onClosed(e as { code: number; reason: string }) },
  });
  clients.push(client);
  return { client, closed };
}

const expiry = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp as number;

describe("token expiry on a WebSocket", () => {
  test("an open subscription ends at the token's exp with close 4401 'token expired'", async () => {
    const token = await t.app.tokens.mint({ sub: "short", role: "viewer" }, "4s"); // 3-4 s: time to connect on a loaded machine
    const exp = expiry(token);
    const { client, closed } = eagerClient(token);
    const ended = new Promise<any>((resolve) => {
      client.subscribe({ query: `subscription { executionEvents { id } }` }, { next: () => {}, error: resolve, complete: () => resolve("completed") });
    });
    const close = await closed;
    expect(close).toMatchObject({ code: 4401, reason: "token expired" });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(Date.now()).toBeLessThan(exp * 1000 + 5000);
    expect(await ended).toMatchObject({ code: 4401 });
    // and a socket cannot be reopened with it
    const again = eagerClient(token);
    expect((await again.closed).code).toBe(4403);
  });

  test("a new operation on a socket whose token expired is UNAUTHENTICATED, and the socket stays open", async () => {
    const token = await t.app.tokens.mint({ sub: "idle", role: "viewer" }, "4s"); // 3-4 s: time to connect on a loaded machine
    const exp = expiry(token);
    const { client, closed } = eagerClient(token);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    expect((await wsResult(client, `{ viewer { sub } }`)).data).toEqual({ viewer: { sub: "idle" } });
    await waitFor(async () => Date.now() > exp * 1000 + 100, 10_000, "the token to expire");

    const sub = await wsResult(client, `subscription { executionEvents { id } }`);
    expect(sub.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    const query = await wsResult(client, `{ viewer { sub } }`);
    expect(query.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    expect(isClosed).toBe(false);
  });

  test("a token without exp, or one valid for longer, keeps its subscription", async () => {
    const token = await t.app.tokens.mint({ sub: "long", role: "viewer" }, "40d"); // beyond setTimeout's ~24.8 days
    const { client, closed } = eagerClient(token);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const task = await createTask(t, { name: "sessions-long", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
    const events = collect(client, `subscription($taskId: ID) { executionEvents(taskId: $taskId) { status } }`, { taskId: task.id }, (ev) =>
      ev.some((e: any) => e.status === "SUCCEEDED"),
    );
    await waitFor(async () => t.app.services.bus.subscriberCount() > 0, 10_000, "the subscription");
    await waitForFinal(t, (await trigger(t, task.id)).id);
    expect((await events).at(-1)).toEqual({ status: "SUCCEEDED" });
    expect(isClosed).toBe(false);
  });
});

describe("subscriptions of what does not exist: NOT_FOUND, then complete", () => {
  const missingExec = encodeId("Execution", 987_654);
  const missingTask = encodeId("Task", 987_654);

  for (const [name, query, variables] of [
    ["executionUpdated", `subscription($id: ID!) { executionUpdated(id: $id) { id } }`, { id: missingExec }],
    ["executionLogLines", `subscription($id: ID!) { executionLogLines(id: $id) { seq } }`, { id: missingExec }],
    ["executionEvents", `subscription($id: ID) { executionEvents(taskId: $id) { id } }`, { id: missingTask }],
  ] as const) {
    test(name, async () => {
      await noSubscriptionsHeld(t);
      const client = t.ws("viewer");
      const outcome = await new Promise<{ errors: any[]; completed: boolean }>((resolve) => {
        let errors: any[] = [];
        client.subscribe({ query, variables }, {
          next: (msg) => (errors = (msg.errors as any[]) ?? []),
          error: (err) => resolve({ errors: Array.isArray(err) ? err : [err], completed: true }),
          complete: () => resolve({ errors, completed: true }),
        });
      });
      expect(outcome.errors.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
      expect(outcome.completed).toBe(true);
      await noSubscriptionsHeld(t, "the server to release the subscription");
    });
  }
});

describe("executionLogLines completes after the final state and the last line", () => {
  const LINES = `subscription($id: ID!, $after: Int) { executionLogLines(id: $id, afterSeq: $after) { seq stream text } }`;

  test("of a running command: every line, the last one last, then completion", async () => {
    const file = scripts.write(
      "lines.mjs",
      `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(400);
for (let i = 1; i <= 30; i++) { console.log("line " + i); if (i % 10 === 0) await sleep(100); }
console.log("last line");`,
    );
    const task = await createTask(t, { name: "sessions-lines", kind: "COMMAND", config: { command: process.execPath, args: [file] } });
    const exec = await trigger(t, task.id);
    // collect() returns only when the server completes the subscription
    const lines = await collect(t.ws("viewer"), LINES, { id: exec.id });
    expect(lines.map((l: any) => l.text)).toEqual([...Array.from({ length: 30 }, (_, i) => `line ${i + 1}`), "last line"]);
    expect(lines.map((l: any) => l.seq)).toEqual(lines.map((_: any, i: number) => i + 1));
    expect((await waitForFinal(t, exec.id)).status).toBe("SUCCEEDED");

    // of a finished one: the backlog after afterSeq, then completion at once
    const tail = await collect(t.ws("viewer"), LINES, { id: exec.id, after: 29 });
    expect(tail.map((l: any) => l.text)).toEqual(["line 30", "last line"]);
  });

  test("of a run that is cancelled while quiet: completes with the lines it had", async () => {
    const file = scripts.write("quiet.mjs", `console.log("hello"); setInterval(() => {}, 1000);`);
    const task = await createTask(t, { name: "sessions-quiet", kind: "COMMAND", config: { command: process.execPath, args: [file] } });
    const exec = await trigger(t, task.id);
    const lines = collect(t.ws("viewer"), LINES, { id: exec.id });
    await waitFor(async () => (await t.ok(`query($id: ID!) { executionLog(id: $id) { seq } }`, { id: exec.id }, "viewer")).executionLog.length === 1, 15_000, "the first line");
    await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: exec.id }, "operator");
    const texts = (await lines).map((l: any) => l.text);
    expect(texts[0]).toBe("hello");
    expect(texts.at(-1)).toMatch(/^aborting \(cancelled\)/); // the runner's own last line
    expect((await waitForFinal(t, exec.id)).status).toBe("CANCELLED");
  });
});
