// GraphiQL works as the README says: served from the installed packages (nothing from a CDN),
// and a subscription run in it carries the token from its headers tab (over SSE); WebSocket
// clients may spell the connection parameter `authorization` or `Authorization`.
import { afterAll, beforeAll, expect, test } from "vitest";
import { collect, createTask, startTestApp, trigger, waitFor, type TestApp } from "./helpers/app.ts";
import { sseSubscribe } from "./helpers/sse.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

test("GET /graphql in a browser is GraphiQL with everything inline: no script, style or font from elsewhere", async () => {
  const res = await fetch(t.url, { headers: { accept: "text/html" } });
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain("<title>jobgraph</title>");
  expect(html).toContain("renderYogaGraphiQL");
  expect(html).not.toMatch(/<script[^>]+src=/i);
  expect(html).not.toMatch(/<link[^>]+href="https?:/i);
  expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdnjs/);
  expect(html).toContain('"subscriptionsProtocol":"SSE"');
});

const UPDATED = `subscription($id: ID!) { executionUpdated(id: $id) { status progress } }`;

test("a subscription over SSE carries the Authorization header, as GraphiQL sends it", async () => {
  const task = await createTask(t, { name: "sse_countdown", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 3, stepMs: 30 } } });
  const run = await trigger(t, task.id);
  const sub = sseSubscribe(t.url, { Authorization: `Bearer ${await t.token("viewer")}` }, UPDATED, { id: run.id });
  await sub.done; // completes after the final state
  expect(await sub.status).toBe(200);
  expect(sub.events.every((e) => !e.errors)).toBe(true);
  expect(sub.events.at(-1)?.data).toEqual({ executionUpdated: { status: "SUCCEEDED", progress: 1 } });

  const anonymous = sseSubscribe(t.url, {}, UPDATED, { id: run.id });
  await anonymous.done;
  expect(anonymous.events[0]?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
});

test("graphql-ws accepts connectionParams.Authorization as well as .authorization", async () => {
  const task = await createTask(t, { name: "ws_countdown", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 2, stepMs: 20 } } });
  const run = await trigger(t, task.id);
  const token = await t.token("viewer");
  const { createClient } = await import("graphql-ws");
  const WebSocket = (await import("ws")).default;
  for (const key of ["Authorization", "authorization"]) {
    const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { [key]: `Bearer ${token}` } });
    const events = await collect(client, UPDATED, { id: run.id });
    expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED" });
    await client.dispose();
  }
  await waitFor(async () => t.app.services.bus.subscriberCount() === 0, 5000, "subscriptions to end");
});
