// The WebSocket writer frames messages itself (src/server/ws-transport.ts): graphql-ws's own
// messages and shared results, several per write. A real graphql-ws client must read every one
// intact whatever its size — each of the three length encodings of RFC 6455 — and whatever its
// characters (a frame's length counts bytes, not characters), on both paths: a shared
// subscription (executionEvents of all tasks) and one graphql-ws serves itself (of one task).
import { WebSocketServer } from "ws";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createLogger } from "../src/logging/logger.ts";
import { serveGraphqlWs } from "../src/server/ws-transport.ts";
import { collect, createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

// payload lengths around the encodings' limits: < 126 bytes (7 bits), < 65,536 (16 bits), more
// (64 bits); the multi-byte characters make the byte count twice to four times the length
const MESSAGES = [
  "é".repeat(20), // 40 bytes: the whole frame stays under 126 only as bytes, not as JSON text
  "✓ ok ".repeat(30),
  "数据同步失败 ".repeat(5_000), // ~105 KB
  "emoji 🚀 ".repeat(3_000),
];

test("messages of every frame size and multi-byte text arrive intact, shared and not, several runs at once", async () => {
  const task = await createTask(t, { name: "frames", kind: "HANDLER", overlapPolicy: "ALLOW", config: { handler: "demo.fail" } });
  const QUERY = `subscription($id: ID) { executionEvents(taskId: $id) { id status error } }`;
  const shared = t.ws("viewer");
  const own = t.ws("viewer");
  const failedAll = (events: any[]) => events.filter((e) => e.status === "FAILED").length >= MESSAGES.length;
  const viaShared = collect(shared, QUERY, { id: null }, failedAll);
  const viaOwn = collect(own, QUERY, { id: task.id }, failedAll);
  await waitFor(async () => t.app.services.bus.subscriberCount() >= 2, 10_000, "both subscriptions");

  // triggered together: their events go out in the same writes
  const runs = await Promise.all(MESSAGES.map((message) => trigger(t, task.id, { message })));
  for (const run of runs) expect((await waitForFinal(t, run.id)).status).toBe("FAILED");

  const expected = new Map(runs.map((r, i) => [r.id, MESSAGES[i]!]));
  for (const events of [await viaShared, await viaOwn]) {
    const failed = events.filter((e) => e.status === "FAILED");
    expect(new Map(failed.map((e) => [e.id, e.error]))).toEqual(expected);
  }
});

test("a WebSocket server that offers compression is refused: the writer's own frames would sit between compressed ones", () => {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  try {
    expect(() => serveGraphqlWs({}, wss, { logger: createLogger("silent") })).toThrow(/must not offer permessage-deflate/);
  } finally {
    wss.close();
  }
});
