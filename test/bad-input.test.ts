// Bad input is a typed error, never INTERNAL, and changes nothing: variables that do not coerce,
// NUL characters anywhere, ids no row can have, LIKE wildcards in a search — and a database that
// cannot be reached is a retryable UNAVAILABLE.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { createTask, startTestApp, waitFor, type GqlResult, type TestApp } from "./helpers/app.ts";
import { testBackend } from "./helpers/database.ts";
import { startPgCluster, type PgCluster } from "./helpers/pg-cluster.ts";
import { wsResult } from "./helpers/ws.ts";

let t: TestApp;
let task: any;
beforeAll(async () => {
  t = await startTestApp();
  task = await createTask(t, { name: "bad-input", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
});
afterAll(async () => {
  await t?.stop();
});

/** what no rejected request may touch */
const state = async () => {
  const { prisma } = t.app.db;
  return {
    tasks: await prisma.task.findMany({ orderBy: { id: "asc" } }),
    executions: await prisma.execution.count(),
    audits: await prisma.auditEvent.count(),
  };
};

const overWs = (query: string, variables: Record<string, unknown> = {}, role: "viewer" | "admin" = "admin") => wsResult(t.ws(role), query, variables);

const only = (r: GqlResult) => {
  expect(r.errors, JSON.stringify(r)).toHaveLength(1);
  return r.errors![0]!;
};

describe("variables that do not coerce → BAD_USER_INPUT with graphql-js's message, as the literal gets VALIDATION", () => {
  const FILTER = `query($f: TaskFilter) { tasks(filter: $f) { totalCount } }`;
  const FIRST = `query($n: Int) { tasks(first: $n) { totalCount } }`;
  const CREATE = `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`;
  const input = { name: "never-made", kind: "HANDLER", config: { handler: "demo.sleep" } };
  // [what, operation with a variable, its variables, the same value inline, graphql-js's words]
  const CASES: [string, string, Record<string, unknown>, string, RegExp][] = [
    ["unknown enum value", FILTER, { f: { kind: "NOPE" } }, `{ tasks(filter: { kind: NOPE }) { totalCount } }`, /Value "NOPE" does not exist in "TaskKind" enum/],
    ['"3" for an Int', FIRST, { n: "3" }, `{ tasks(first: "3") { totalCount } }`, /Int cannot represent non-integer value: "3"/],
    ["1.5 for an Int", FIRST, { n: 1.5 }, `{ tasks(first: 1.5) { totalCount } }`, /Int cannot represent non-integer value: 1\.5/],
    ["Int overflow", FIRST, { n: 2 ** 31 }, `{ tasks(first: 2147483648) { totalCount } }`, /Int cannot represent non 32-bit signed integer value: 2147483648/],
    ['"yes" for a Boolean', FILTER, { f: { enabled: "yes" } }, `{ tasks(filter: { enabled: "yes" }) { totalCount } }`, /Boolean cannot represent a non boolean value: "yes"/],
    ["missing input field", CREATE, { input: { kind: "HANDLER", config: {} } }, `mutation { createTask(input: { kind: HANDLER, config: {} }) { id } }`, /name" of required type "String!" was not provided/],
    ["extra input field", CREATE, { input: { ...input, nope: 1 } }, `mutation { createTask(input: { name: "never-made", kind: HANDLER, config: {}, nope: 1 }) { id } }`, /Field "nope" is not defined by type "CreateTaskInput"/],
    ["unknown enum in a mutation input", CREATE, { input: { ...input, overlapPolicy: "SOMETIMES" } }, `mutation { createTask(input: { name: "never-made", kind: HANDLER, config: {}, overlapPolicy: SOMETIMES }) { id } }`, /Value "SOMETIMES" does not exist in "OverlapPolicy" enum/],
  ];

  test("on HTTP: the variable is BAD_USER_INPUT, the literal VALIDATION, both with graphql-js's message; nothing written", async () => {
    const before = await state();
    for (const [what, query, variables, literal, message] of CASES) {
      const v = only(await t.gql(query, variables));
      expect(v.extensions?.code, `${what}: ${v.message}`).toBe("BAD_USER_INPUT");
      expect(v.message, what).toMatch(message);
      // (an inline 2147483648 also makes the cost limit speak up)
      const l = await t.gql(literal);
      expect(l.errors?.map((e) => e.extensions?.code), `${what} (literal)`).toEqual(l.errors?.map(() => "VALIDATION"));
      expect(l.errors?.map((e) => e.message).join(" | "), what).toMatch(message);
    }
    const missing = only(await t.gql(`mutation($id: ID!) { pauseTask(id: $id) { id } }`, {}, "operator"));
    expect(missing).toMatchObject({ extensions: { code: "BAD_USER_INPUT" }, message: expect.stringMatching(/Variable "\$id" of required type "ID!" was not provided/) });
    expect(await state()).toEqual(before);
  });

  test("on WebSocket the same", async () => {
    for (const [what, query, variables, , message] of CASES) {
      const e = only(await overWs(query, variables));
      expect(e.extensions?.code, `${what}: ${e.message}`).toBe("BAD_USER_INPUT");
      expect(e.message, what).toMatch(message);
    }
  });
});

describe("a NUL character (\\u0000) anywhere → VALIDATION, nothing written", () => {
  const CREATE = `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`;
  const good = { name: "nul-task", kind: "HANDLER", config: { handler: "demo.sleep" } };

  test("in string arguments, input fields, JSON keys and values — as variables", async () => {
    const before = await state();
    const cases: [string, Record<string, unknown>, string, "admin" | "operator"][] = [
      [`query($f: TaskFilter) { tasks(filter: $f) { totalCount } }`, { f: { search: "a\u0000b" } }, "f.search", "admin"],
      [`query($name: String) { task(name: $name) { id } }`, { name: "bad\u0000" }, "name", "admin"],
      [CREATE, { input: { ...good, description: "line\u0000" } }, "input.description", "admin"],
      [CREATE, { input: { ...good, config: { handler: "demo.sleep", defaults: { k: "v\u0000" } } } }, "input.config.defaults.k", "admin"],
      [CREATE, { input: { ...good, config: { handler: "demo.sleep", defaults: { ["k\u0000"]: 1 } } } }, "input.config.defaults.k\u0000", "admin"],
      [`mutation($id: ID!, $p: JSON) { triggerTask(id: $id, params: $p) { id } }`, { id: task.id, p: { list: ["ok", "\u0000"] } }, "p.list.1", "operator"],
    ];
    for (const [query, variables, field, role] of cases) {
      const e = only(await t.gql(query, variables, role));
      expect(e.extensions, `${query} ${e.message}`).toEqual({ code: "VALIDATION", field });
      expect(e.message).toMatch(/NUL character/);
    }
    expect(await state()).toEqual(before);
  });

  test("in literals", async () => {
    const before = await state();
    for (const [query, field] of [
      [`{ tasks(filter: { search: "a\\u0000b" }) { totalCount } }`, "filter.search"],
      [`mutation { createTask(input: { name: "nul-task", kind: HANDLER, config: { handler: "demo.sleep", defaults: { k: "\\u0000" } } }) { id } }`, "input.config.defaults.k"],
    ] as const) {
      const e = only(await t.gql(query));
      expect(e.extensions, e.message).toEqual({ code: "VALIDATION", field });
    }
    expect(await state()).toEqual(before);
  });

  test("over WebSocket, subscriptions included", async () => {
    const sub = only(await overWs(`subscription($id: ID!) { executionUpdated(id: $id) { id } }`, { id: "x\u0000" }, "viewer"));
    expect(sub.extensions).toEqual({ code: "VALIDATION", field: "id" });
    const query = only(await overWs(`query($f: TaskFilter) { tasks(filter: $f) { totalCount } }`, { f: { search: "\u0000" } }, "viewer"));
    expect(query.extensions).toEqual({ code: "VALIDATION", field: "f.search" });
  });
});

describe("ids no row can have", () => {
  const beyond = encodeGlobalID("Task", "2147483648");
  const execBeyond = encodeGlobalID("Execution", "99999999999");

  test("beyond int4 → VALIDATION naming the argument, on queries and mutations; nothing written", async () => {
    const before = await state();
    for (const [query, variables, field, role] of [
      [`query($id: ID) { task(id: $id) { id } }`, { id: beyond }, "id", "viewer"],
      [`query($id: ID!) { execution(id: $id) { id } }`, { id: execBeyond }, "id", "viewer"],
      [`query($f: ExecutionFilter) { executions(filter: $f) { totalCount } }`, { f: { taskId: beyond } }, "filter.taskId", "viewer"],
      [`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: beyond }, "id", "operator"],
      [`mutation($id: ID!) { pauseTask(id: $id) { id } }`, { id: beyond }, "id", "operator"],
      [`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: execBeyond }, "id", "operator"],
    ] as const) {
      const e = only(await t.gql(query, variables, role));
      expect(e.extensions, `${query}: ${e.message}`).toEqual({ code: "VALIDATION", field });
    }
    // rejected mutations are on record (audited), nothing else changed
    const after = await state();
    expect({ ...after, audits: before.audits }).toEqual(before);
  });

  test("node(id): an unknown type or a number beyond int4 is null, without an error", async () => {
    for (const id of ["Tm9wZTox" /* Nope:1 */, beyond, execBeyond, encodeGlobalID("Task", "abc"), encodeGlobalID("Viewer", "1")]) {
      const r = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, "viewer");
      expect(r, id).toEqual({ data: { node: null } });
    }
    expect((await t.ok(`{ node(id: "Tm9wZTox") { id } }`, {}, "viewer")).node).toBeNull();
    expect((await t.ok(`query($id: ID!) { node(id: $id) { id ... on Task { name } } }`, { id: task.id }, "viewer")).node).toEqual({ id: task.id, name: "bad-input" });
  });
});

test("tasks(filter: { search }) treats %, _ and \\ as the characters they are", async () => {
  const tasks = { "like-pct": "100% sure", "like-under": "snake_case", "like-back": "C:\\temp", "like-plain": "plain words" };
  for (const [name, displayName] of Object.entries(tasks)) await createTask(t, { name, displayName, kind: "HANDLER", config: { handler: "demo.sleep" } });
  const search = async (text: string) =>
    (await t.ok(`query($f: TaskFilter) { tasks(first: 100, filter: $f) { edges { node { name } } } }`, { f: { search: text } }, "viewer")).tasks.edges
      .map((e: any) => e.node.name)
      .sort();
  expect(await search("%")).toEqual(["like-pct"]);
  expect(await search("_")).toEqual(["like-under"]);
  expect(await search("\\")).toEqual(["like-back"]);
  expect(await search("e_c")).toEqual(["like-under"]);
  expect(await search("0% S")).toEqual(["like-pct"]); // still case-insensitive
  expect(await search("like-")).toEqual(["like-back", "like-pct", "like-plain", "like-under"]);
});

// Needs a PostgreSQL server it may stop: its own cluster (initdb), whichever backend the project
// tests otherwise. Runs once: in the postgres project, or in the pglite one when there is none.
describe.runIf(testBackend() === "postgres" || !process.env.TEST_DATABASE_URL)("database unreachable", () => {
  let cluster: PgCluster;
  let app: TestApp;
  beforeAll(async () => {
    cluster = await startPgCluster();
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`CREATE DATABASE jobgraph`);
    await admin.end();
    const url = cluster.url("jobgraph");
    app = await startTestApp({ db: { target: { url, poolSize: 5 }, url, drop: async () => {} } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await cluster?.destroy();
  });

  test("queries, mutations and subscriptions answer a retryable UNAVAILABLE, and work again after", async () => {
    const made = await createTask(app, { name: "outage", kind: "HANDLER", config: { handler: "demo.sleep" } });
    await cluster.stop();
    try {
      const ops: [string, Record<string, unknown>, "viewer" | "operator"][] = [
        [`{ tasks { totalCount edges { node { name } } } }`, {}, "viewer"],
        [`query($id: ID) { task(id: $id) { name } }`, { id: made.id }, "viewer"],
        [`mutation($id: ID!) { pauseTask(id: $id) { paused } }`, { id: made.id }, "operator"],
      ];
      for (const [query, variables, role] of ops) {
        const r = await app.gql(query, variables, role);
        expect(r.errors?.map((e) => e.extensions), `${query}: ${JSON.stringify(r)}`).toEqual([{ code: "UNAVAILABLE", retryable: true }]);
      }
      const client = app.ws("viewer");
      const sub = await new Promise<any[]>((resolve) => {
        client.subscribe({ query: `subscription($id: ID!) { executionUpdated(id: $id) { id } }`, variables: { id: encodeGlobalID("Execution", "1") } }, {
          next: (v) => resolve(v.errors as any[]),
          error: (e) => resolve(Array.isArray(e) ? e : [e]),
          complete: () => resolve([]),
        });
      });
      expect(sub.map((e) => e.extensions?.code)).toEqual(["UNAVAILABLE"]);
    } finally {
      await cluster.start();
    }
    await waitFor(async () => !(await app.gql(`{ tasks { totalCount } }`, {}, "viewer")).errors, 30_000, "the API to answer again");
    expect((await app.ok(`mutation($id: ID!) { pauseTask(id: $id) { paused } }`, { id: made.id }, "operator")).pauseTask.paused).toBe(true);
  }, 120_000);
});
