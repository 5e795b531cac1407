// Every GraphQL example in the README runs as written, in order, against a server seeded with the
// demo tasks (what a fresh `npm start` has): no collision with the demo, no hard-coded ids.
// A ```json block right after an example holds its variables; its placeholders are what the README
// tells the reader to paste: "<id of task NAME>" and "<id of the run triggerTask returned>".
// Subscriptions run over SSE with the Authorization header, as GraphiQL runs them, and must each
// deliver at least one event without errors.
import { readFileSync } from "node:fs";
import { parse, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT } from "../src/app.ts";
import { startTestApp, waitFor, type TestApp } from "./helpers/app.ts";
import { sseSubscribe, type SseSubscription } from "./helpers/sse.ts";

interface Example {
  query: string;
  variables: Record<string, unknown>;
}

/** sections whose examples another test runs, each on the state its section sets up */
const OWN_TESTS: Record<string, string> = {
  "Operating runs": "test/readme-ops.test.ts",
  "The command line": "test/readme-ops.test.ts",
  "Trading days and alerts": "test/readme-alerts.test.ts",
};

function readmeExamples(markdown: string): Example[] {
  const sections = markdown.split(/\n(?=## )/).filter((sec) => !Object.keys(OWN_TESTS).some((h) => sec.startsWith(`## ${h}`)));
  const blocks = [...sections.join("\n").matchAll(/```(graphql|json)\n([\s\S]*?)```/g)];
  const examples: Example[] = [];
  for (const [, lang, body] of blocks) {
    if (lang === "graphql") examples.push({ query: body!, variables: {} });
    else if (examples.length) examples.at(-1)!.variables = JSON.parse(body!);
  }
  return examples;
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ config: { demo: true } });
});
afterAll(async () => {
  await t?.stop();
});

test("the README's GraphQL examples run as written on a fresh demo database", async () => {
  const examples = readmeExamples(readFileSync(`${ROOT}/README.md`, "utf8"));
  expect(examples.length).toBeGreaterThanOrEqual(10);
  const headers = { Authorization: `Bearer ${await t.token("admin")}` };
  let lastRun: string | null = null;
  const subscriptions: { name: string; sub: SseSubscription }[] = [];

  const resolve = async (value: unknown): Promise<unknown> => {
    if (typeof value !== "string") return value;
    const task = /^<id of task (\S+)>$/.exec(value);
    if (task) return (await t.ok(`query($n: String!) { task(name: $n) { id } }`, { n: task[1] })).task.id;
    if (value === "<id of the run triggerTask returned>") return lastRun;
    expect(value, "an unknown placeholder").not.toMatch(/^</);
    return value;
  };

  for (const example of examples) {
    const variables: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(example.variables)) variables[k] = await resolve(v);
    const operation = parse(example.query).definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition")!;
    const name = operation.name?.value ?? example.query.slice(0, 40);
    if (operation.operation === "subscription") {
      const sub = sseSubscribe(t.url, headers, example.query, variables);
      subscriptions.push({ name, sub });
      await sub.status; // subscribed (the run it watches may still be going)
      continue;
    }
    const res = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: example.query, variables }) });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
    expect(body.errors, `${name} answered errors`).toBeUndefined();
    if (body.data?.triggerTask) lastRun = body.data.triggerTask.id;
  }

  for (const { name, sub } of subscriptions) {
    await waitFor(async () => sub.events.length > 0, 15_000, `${name} to deliver an event`);
    expect(sub.events.filter((e) => e.errors), `${name} answered errors`).toEqual([]);
    await sub.stop();
  }
  // the walk-through's cancel reached a run still going
  const cancelled = await t.ok(`{ task(name: "sync_etf_list") { lastExecution { status } } }`);
  expect(cancelled.task.lastExecution.status).toBe("CANCELLED");
}, 120_000);
