// No request takes an instance down: documents too deep, too wide, too long or too costly are
// refused before anything executes (HTTP and WebSocket alike), pages and bodies are capped, stored
// JSON is bounded, and a list reads only the columns it asks for.
import http from "node:http";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.ts";
import { watchDriver } from "./helpers/driver-watch.ts";
import { wsResult } from "./helpers/ws.ts";
import { collect, createTask, startTestApp, trigger, waitFor, waitForFinal, type GqlResult, type TestApp } from "./helpers/app.ts";

let t: TestApp; // default limits
let tight: TestApp; // every limit set low, to show each one is the configured one
let task: any;
beforeAll(async () => {
  t = await startTestApp();
  const defaults = loadConfig({}).limits;
  tight = await startTestApp({
    config: {
      limits: { maxDepth: 5, maxAliases: 2, maxTokens: 120, maxCost: 150, maxDirectives: 2, maxPageSize: 10, maxRows: 25, maxBodyBytes: 4096, json: { maxBytes: 1024, maxDepth: 5 } },
    },
  });
  expect(defaults).toMatchObject({ maxDepth: 15, maxAliases: 30, maxPageSize: 500, maxRows: 50_000, maxBodyBytes: 1024 * 1024, json: { maxBytes: 256 * 1024, maxDepth: 64 } });
  task = await createTask(t, { name: "limits-task", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
});
afterAll(async () => {
  await t?.stop();
  await tight?.stop();
});

const codeOf = (r: GqlResult) => r.errors?.[0]?.extensions?.code;
/** refused before execution: a typed error and no `data` at all (GraphQL executes nothing) */
function refusedBeforeExecution(r: GqlResult, message: RegExp) {
  expect(r.errors?.length, JSON.stringify(r).slice(0, 500)).toBeGreaterThan(0);
  expect(r.errors!.map((e) => e.extensions?.code)).toEqual(r.errors!.map(() => "VALIDATION"));
  expect(r.errors!.map((e) => e.message).join(" | ")).toMatch(message);
  expect(r).not.toHaveProperty("data");
}

const INTROSPECTION = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
const manyAliases = (n: number, field = "tasks(first: 100) { edges { node { name config } } }") =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;
function deepNest(levels: number) {
  let inner = "name";
  for (let i = 0; i < levels; i++) inner = `executions(first: 100) { edges { node { task { ${inner} } } } }`;
  return `query($id: ID) { task(id: $id) { ${inner} } }`;
}

describe("document limits (graphql-armor)", () => {
  test("GraphiQL's own introspection query passes the defaults, on HTTP and WebSocket", async () => {
    const r = await t.gql(INTROSPECTION, {}, "viewer");
    expect(r.errors).toBeUndefined();
    expect(r.data.__schema.types.length).toBeGreaterThan(20);
    const ws = await wsResult(t.ws("viewer"), INTROSPECTION);
    expect(ws.errors).toBeUndefined();
    expect(ws.data.__schema.queryType.name).toBe("Query");
  });

  test("1,000 aliased tasks(first: 100) as a viewer is refused before execution", async () => {
    refusedBeforeExecution(await t.gql(manyAliases(1000), {}, "viewer"), /limit/i);
    // and under the token limit, it is the alias limit that refuses
    refusedBeforeExecution(await t.gql(manyAliases(31, "tasks(first: 100) { totalCount }"), {}, "viewer"), /Aliases limit of 30 exceeded, found 31/);
    expect((await t.gql(manyAliases(30, "tasks(first: 100) { totalCount }"), {}, "viewer")).errors).toBeUndefined();
  });

  test("a ~125-deep task → executions → task nest is refused before execution", async () => {
    refusedBeforeExecution(await t.gql(deepNest(31), { id: task.id }, "viewer"), /depth limit of 15 exceeded/);
    // within the depth limit, pages of 100 in pages of 100 are the cost limit's (10,000 rows)
    refusedBeforeExecution(await t.gql(deepNest(2), { id: task.id }, "viewer"), /Cost limit of 150000 exceeded/);
    expect((await t.gql(deepNest(1), { id: task.id }, "viewer")).errors).toBeUndefined();
  });

  test("1,000 aliased pauseTask mutations are refused and nothing changes", async () => {
    const audits = await t.app.db.prisma.auditEvent.count();
    const mutation = `mutation($id: ID!) { ${Array.from({ length: 1000 }, (_, i) => `p${i}: pauseTask(id: $id) { id }`).join(" ")} }`;
    refusedBeforeExecution(await t.gql(mutation, { id: task.id }, "operator"), /limit/i);
    const row = await t.app.db.prisma.task.findUniqueOrThrow({ where: { name: "limits-task" } });
    expect(row.paused).toBe(false);
    expect(await t.app.db.prisma.auditEvent.count()).toBe(audits);
  });

  test("each limit is the configured one: depth, aliases, tokens, cost, directives", async () => {
    refusedBeforeExecution(await tight.gql(`{ tasks { edges { node { lastExecution { task { name } } } } } }`, {}, "viewer"), /depth limit of 5 exceeded/);
    refusedBeforeExecution(await tight.gql(`{ a: viewer { sub } b: viewer { sub } c: viewer { sub } }`, {}, "viewer"), /Aliases limit of 2 exceeded, found 3/);
    refusedBeforeExecution(await tight.gql(`{ ${"scheduler { running } ".repeat(30)} }`, {}, "viewer"), /Token limit of 120 exceeded/);
    refusedBeforeExecution(
      await tight.gql(`{ tasks(first: 10) { edges { node { name kind enabled } } } }`, {}, "viewer"),
      /Cost limit of 150 exceeded, found 196/,
    );
    refusedBeforeExecution(await tight.gql(`{ viewer @include(if: true) @skip(if: false) { sub @include(if: true) } }`, {}, "viewer"), /Directives limit of 2 exceeded/);
    expect((await tight.gql(`{ viewer { sub } scheduler { running } }`, {}, "viewer")).errors).toBeUndefined();
  });

  test("over WebSocket the same limits refuse the same documents, typed, and the socket stays usable", async () => {
    const client = t.ws("viewer");
    for (const [query, message] of [
      [manyAliases(1000), /limit/i],
      [deepNest(31), /depth limit of 15 exceeded/],
      [manyAliases(31, "tasks(first: 100) { totalCount }"), /Aliases limit of 30/],
    ] as const) {
      const r = await wsResult(client, query, { id: task.id });
      expect(r.errors?.map((e) => e.extensions?.code), JSON.stringify(r).slice(0, 300)).toEqual(r.errors?.map(() => "VALIDATION"));
      expect(r.errors!.map((e) => e.message).join(" | ")).toMatch(message);
      expect(r.data ?? undefined).toBeUndefined();
    }
    // subscriptions too
    const sub = await wsResult(client, `subscription { ${Array.from({ length: 40 }, (_, i) => `s${i}: executionEvents { id }`).join(" ")} }`);
    expect(sub.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    expect((await wsResult(client, `{ viewer { sub } }`)).data).toEqual({ viewer: { sub: "viewer-user" } });
  });
});

describe("page size", () => {
  const CASES: [string, string, Record<string, unknown>][] = [
    ["first", `query($n: Int) { tasks(first: $n) { totalCount } }`, {}],
    ["last", `query($n: Int) { executions(last: $n) { totalCount } }`, {}],
    ["first", `query($n: Int) { auditEvents(first: $n) { totalCount } }`, {}],
    ["first", `query($n: Int, $id: ID) { task(id: $id) { executions(first: $n) { totalCount } } }`, {}],
  ];

  test("first/last above 500 → VALIDATION naming the argument (nothing clamped silently); 500 is served", async () => {
    for (const [arg, query] of CASES) {
      const over = await t.gql(query, { n: 501, id: task.id }, "viewer");
      expect(codeOf(over), `${query}: ${JSON.stringify(over)}`).toBe("VALIDATION");
      expect(over.errors![0]!.extensions?.field).toBe(arg);
      expect(over.errors![0]!.message).toMatch(/at most 500/);
      expect((await t.gql(query, { n: 500, id: task.id }, "viewer")).errors, query).toBeUndefined();
    }
    // a workflow's children connection as well
    const exec = await trigger(t, task.id);
    await waitForFinal(t, exec.id);
    const children = await t.gql(`query($id: ID!) { execution(id: $id) { children(first: 501) { totalCount } } }`, { id: exec.id }, "viewer");
    expect(children.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION", field: "first" });
  });

  test("nested pages sized by variables (which the cost limit cannot see) are bounded by JOBGRAPH_MAX_ROWS", async () => {
    for (const name of ["rows-a", "rows-b"]) await createTask(tight, { name, kind: "HANDLER", config: { handler: "demo.sleep" } });
    const nested = `query($n: Int) { tasks(first: $n) { edges { node { executions(first: $n) { totalCount } } } } }`;
    // 10 tasks asked, then 10 executions for each of the 2 tasks found: 30 rows > 25
    const r = await tight.gql(nested, { n: 10 }, "viewer");
    expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe("VALIDATION");
    expect(r.errors![0]!.message).toMatch(/more than 25 rows/);
    expect((await tight.gql(nested, { n: 5 }, "viewer")).errors).toBeUndefined();
  });

  test("a subscription is not ended by the row budget of its events together", async () => {
    const quick = await createTask(tight, { name: "rows-events", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
    const client = tight.ws("viewer");
    // 10 rows asked per event; 3 runs make at least 6 events: 60 rows > 25 for the subscription as a whole
    const events = collect(client, `subscription($id: ID) { executionEvents(taskId: $id) { status children(first: 10) { totalCount } } }`, { id: quick.id }, (ev) =>
      ev.filter((e: any) => e.status === "SUCCEEDED").length === 3,
    );
    await waitFor(async () => tight.app.services.bus.subscriberCount() > 0, 10_000, "the subscription");
    for (let i = 0; i < 3; i++) await waitForFinal(tight, (await trigger(tight, quick.id)).id);
    const seen = await events; // collect() throws on an event with errors
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(seen.every((e: any) => e.children.totalCount === 0)).toBe(true);
  });

  test("the cap is JOBGRAPH_MAX_PAGE_SIZE", async () => {
    const r = await tight.gql(`{ tasks(first: 11) { totalCount } }`, {}, "viewer");
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: "VALIDATION", field: "first" } });
    expect(r.errors![0]!.message).toMatch(/at most 10/);
    expect((await tight.gql(`{ tasks(first: 10) { totalCount } }`, {}, "viewer")).errors).toBeUndefined();
  });
});

describe("request body", () => {
  const post = async (app: TestApp, body: string) => {
    const res = await fetch(app.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await app.token("viewer")}` }, body });
    return { status: res.status, text: await res.text() };
  };

  test("a body over 1 MB is refused with 413 before it is parsed", async () => {
    const big = JSON.stringify({ query: `{ viewer { sub } }`, variables: { pad: "x".repeat(1024 * 1024) } });
    const r = await post(t, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).errors[0].extensions.code).toBe("REQUEST_ENTITY_TOO_LARGE");
    expect(r.text.length).toBeLessThan(1000);
    // just under the limit is served
    const fits = JSON.stringify({ query: `{ viewer { sub } }`, variables: { pad: "x".repeat(1000 * 1000) } });
    expect((await post(t, fits)).status).toBe(200);
  });

  test("a chunked body (no Content-Length) is cut off at the limit too", async () => {
    const token = await tight.token("viewer");
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(tight.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "transfer-encoding": "chunked" } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      req.write(`{"query":"{ viewer { sub } }","variables":{"pad":"`);
      for (let i = 0; i < 10; i++) req.write("x".repeat(1000));
      req.end(`"}}`);
    });
    expect(status, body).toBe(413);
    expect(JSON.parse(body).errors[0].extensions.code).toBe("REQUEST_ENTITY_TOO_LARGE");
  });

  test("a WebSocket message over the limit closes that socket (1009); the server goes on", async () => {
    const client = tight.ws("viewer");
    const closed = new Promise<any>((resolve) => client.on("closed", resolve));
    const error = await new Promise<any>((resolve) => {
      client.subscribe({ query: `{ viewer { sub } }`, variables: { pad: "x".repeat(8000) } }, { next: () => {}, error: resolve, complete: () => resolve("completed") });
    });
    expect((await closed).code).toBe(1009);
    expect(error).not.toBe("completed");
    expect((await tight.ok(`{ viewer { sub } }`, {}, "viewer")).viewer.sub).toBe("viewer-user");
  });

  test("a malformed body is a 400 that does not echo the body", async () => {
    const secret = `{"query": "{ viewer { sub } }", "variables": {"password": "hunter2-${"y".repeat(50)}"`;
    const r = await post(t, secret);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(r.text).not.toContain("hunter2");
  });
});

describe("columns nobody selected are not read", () => {
  test("a list asking only for names does not read a 5 MB config; asking for config does", async () => {
    const big = await createTask(t, { name: "limits-big-config", kind: "HANDLER", config: { handler: "demo.sleep" } });
    // written past the API (which refuses configs over 256 KB): a row from before the limit
    const blob = "c".repeat(5 * 1024 * 1024);
    await t.app.db.prisma.task.update({ where: { name: "limits-big-config" }, data: { config: { handler: "demo.sleep", defaults: { blob } } } });

    const watch = watchDriver();
    try {
      const names = await t.ok(`{ tasks(first: 50) { edges { node { id name } } } }`, {}, "viewer");
      expect(names.tasks.edges.map((e: any) => e.node.name)).toContain("limits-big-config");
      const one = await t.ok(`query($id: ID) { task(id: $id) { name kind schedule { timezone } lastExecution { status } } }`, { id: big.id }, "viewer");
      expect(one.task.name).toBe("limits-big-config");
      expect(watch.bytes()).toBeLessThan(100 * 1024);
      expect(watch.statements().join("\n")).not.toMatch(/"config"/);

      // the watch does see the config when it is asked for
      const withConfig = await t.ok(`query($id: ID) { task(id: $id) { config } }`, { id: big.id }, "viewer");
      expect(withConfig.task.config.defaults.blob.length).toBe(blob.length);
      expect(watch.bytes()).toBeGreaterThan(5 * 1024 * 1024);
    } finally {
      watch.stop();
    }
    await t.app.db.prisma.task.delete({ where: { name: "limits-big-config" } });
  });
});

describe("stored JSON is bounded", () => {
  const CREATE = `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`;
  const TRIGGER = `mutation($id: ID!, $params: JSON) { triggerTask(id: $id, params: $params) { id } }`;
  const nested = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  const counts = async () => ({ tasks: await t.app.db.prisma.task.count(), executions: await t.app.db.prisma.execution.count() });

  test("config and params over 256 KB or nested over 64 → VALIDATION naming the field; nothing written", async () => {
    const before = await counts();
    const bigConfig = { handler: "demo.sleep", defaults: { blob: "b".repeat(256 * 1024) } };
    for (const [config, message] of [
      [bigConfig, /input\.config is \d+ bytes as JSON; at most 262144/],
      [{ handler: "demo.sleep", defaults: nested(64) }, /input\.config is nested deeper than 64 levels/],
    ] as const) {
      const r = await t.gql(CREATE, { input: { name: "limits-json", kind: "HANDLER", config } });
      expect(r.errors?.[0]?.extensions, JSON.stringify(r).slice(0, 300)).toEqual({ code: "VALIDATION", field: "input.config" });
      expect(r.errors![0]!.message).toMatch(message);
    }
    for (const params of [{ blob: "p".repeat(256 * 1024) }, nested(65)]) {
      const r = await t.gql(TRIGGER, { id: task.id, params }, "operator");
      expect(r.errors?.[0]?.extensions).toEqual({ code: "VALIDATION", field: "params" });
    }
    // at the limits they are accepted
    expect((await t.gql(TRIGGER, { id: task.id, params: nested(63) }, "operator")).errors).toBeUndefined();
    const after = await counts();
    expect(after).toEqual({ tasks: before.tasks, executions: before.executions + 1 });
  });

  test("JSON nested 5,000 deep (as a variable) → VALIDATION, no stack overflow", async () => {
    const before = await counts();
    const deep = '{"a":'.repeat(5000) + "1" + "}".repeat(5000);
    const send = async (query: string, variables: string, role: "admin" | "operator") => {
      const res = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await t.token(role)}` },
        body: `{"query":${JSON.stringify(query)},"variables":${variables}}`,
      });
      return (await res.json()) as GqlResult;
    };
    // the JSON scalar refuses anything deeper than 1,000 levels before a resolver sees it
    const created = await send(CREATE, `{"input":{"name":"limits-deep","kind":"HANDLER","config":{"handler":"demo.sleep","defaults":${deep}}}}`, "admin");
    expect(created.errors?.map((e) => e.extensions?.code)).toEqual(["VALIDATION"]);
    expect(created.errors![0]!.message).toMatch(/nested deeper than 1000 levels/);
    const triggered = await send(TRIGGER, `{"id":${JSON.stringify(task.id)},"params":${deep}}`, "operator");
    expect(triggered.errors?.map((e) => e.extensions?.code)).toEqual(["VALIDATION"]);
    // and inline, where the token limit refuses it first
    const literal = await send(`mutation { triggerTask(id: ${JSON.stringify(task.id)}, params: ${"{a:".repeat(1200)}1${"}".repeat(1200)}) { id } }`, "{}", "operator");
    expect(literal.errors?.map((e) => e.extensions?.code)).toEqual(["VALIDATION"]);
    expect(await counts()).toEqual(before);
  });

  test("a stored value too deep to send is a field error, not a broken response", async () => {
    const made = await createTask(t, { name: "limits-deep-stored", kind: "HANDLER", config: { handler: "demo.sleep" } });
    // written past the API: a row from before the limits
    await t.app.db.prisma.task.update({ where: { name: "limits-deep-stored" }, data: { config: { handler: "demo.sleep", defaults: nested(1500) as object } } });
    const r = await t.gql(`query($id: ID) { task(id: $id) { name config } }`, { id: made.id }, "viewer");
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["INTERNAL"]); // the server's data, logged with a correlation id
    expect(r.data).toEqual({ task: null });
    expect((await t.ok(`query($id: ID) { task(id: $id) { name } }`, { id: made.id }, "viewer")).task.name).toBe("limits-deep-stored");
    await t.app.db.prisma.task.delete({ where: { name: "limits-deep-stored" } });
  });

  test("the JSON bounds are JOBGRAPH_MAX_JSON_BYTES and JOBGRAPH_MAX_JSON_DEPTH", async () => {
    const r = await tight.gql(CREATE, { input: { name: "tight-json", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { blob: "b".repeat(1100) } } } });
    expect(r.errors?.[0]?.message).toMatch(/at most 1024/);
    const d = await tight.gql(CREATE, { input: { name: "tight-json", kind: "HANDLER", config: { handler: "demo.sleep", defaults: nested(5) } } });
    expect(d.errors?.[0]?.message).toMatch(/deeper than 5 levels/);
  });

  test("a run whose result is over 256 KB or nested over 64 fails saying so, and stores no result", async () => {
    const emit = (value: string) => `process.stdout.write("::jobgraph " + JSON.stringify({ result: ${value} }) + "\\n")`;
    const big = await createTask(t, { name: "huge-result", kind: "COMMAND", config: { command: process.execPath, args: ["-e", emit(`{ blob: "r".repeat(300 * 1024) }`)] } });
    const deep = await createTask(t, { name: "deep-result", kind: "COMMAND", config: { command: process.execPath, args: ["-e", emit(`JSON.parse("[".repeat(100) + "]".repeat(100))`)] } });
    const fine = await createTask(t, { name: "fine-result", kind: "COMMAND", config: { command: process.execPath, args: ["-e", emit(`{ rows: 3 }`)] } });
    const ends = await Promise.all([big, deep, fine].map(async (task) => waitForFinal(t, (await trigger(t, task.id)).id, 60_000)));
    expect(ends[0]).toMatchObject({ status: "FAILED", result: null });
    expect(ends[0].error).toMatch(/^result is \d+ bytes as JSON; at most 262144 are allowed$/);
    expect(ends[1]).toMatchObject({ status: "FAILED", result: null, error: "result is nested deeper than 64 levels" });
    expect(ends[2]).toMatchObject({ status: "SUCCEEDED", result: { rows: 3 } });
  }, 90_000);
});
