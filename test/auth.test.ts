// Auth on every path a client can take: HTTP per role, WebSocket at connect, and tokens minted by
// the CLI. Roles are ordered: viewer (queries, subscriptions) < operator (+ trigger, cancel,
// enable/disable, pause/resume tasks) < admin (+ create/update/delete tasks, mark-failed, delete
// executions, pause/resume the scheduler). No anonymous mutation ever.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SignJWT, UnsecuredJWT } from "jose";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Role } from "../src/auth/roles.ts";
import { createTokenService } from "../src/auth/tokens.ts";
import { encodeId } from "../src/graphql/ids.ts";
import { collect, createTask, startTestApp, TEST_SECRET, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { runCli } from "./helpers/cli.ts";


let t: TestApp;
let task: any; // a quick handler task every role may look at
beforeAll(async () => {
  t = await startTestApp();
  task = await createTask(t, { name: "auth-quick", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 10 } } });
});
afterAll(async () => {
  await t?.stop();
});

const key = new TextEncoder().encode(TEST_SECRET);
const now = () => Math.floor(Date.now() / 1000);

/** tokens that must all be refused */
async function badTokens(): Promise<Record<string, string>> {
  return {
    garbage: "not-a-jwt",
    "wrong secret": await createTokenService("another-secret-that-is-also-32-characters").mint({ sub: "mallory", role: "admin" }),
    expired: await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("late").setIssuedAt(now() - 7200).setExpirationTime(now() - 3600).sign(key),
    "not yet valid": await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("early").setNotBefore(now() + 3600).sign(key),
    "no role": await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("nobody").sign(key),
    "unknown role": await new SignJWT({ role: "root" }).setProtectedHeader({ alg: "HS256" }).setSubject("root").sign(key),
    "no sub": await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).sign(key),
    "alg none": new UnsecuredJWT({ role: "admin" }).setSubject("eve").encode(),
    "HS512 with the right secret": await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS512" }).setSubject("x").sign(key),
    "tampered payload": await (async () => {
      const [h, , s] = (await t.token("viewer", "vic")).split(".");
      const payload = Buffer.from(JSON.stringify({ sub: "vic", role: "admin", iat: now() })).toString("base64url");
      return `${h}.${payload}.${s}`;
    })(),
  };
}

/** POST with an exact Authorization header (undefined: none) */
async function post(query: string, variables: Record<string, unknown> = {}, authorization?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(t.url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

const codeOf = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

/** what a rejected attempt must not touch */
async function state() {
  const { prisma } = t.app.db;
  const [tasks, executions, scheduler] = await Promise.all([
    prisma.task.findMany({ orderBy: { id: "asc" } }),
    prisma.execution.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, cancelRequested: true } }),
    prisma.schedulerState.findMany(),
  ]);
  return { tasks, executions, scheduler };
}

// Every mutation, by the least role allowed to run it. The arguments are well-formed; the
// scope check comes before anything reads them.
const MUTATIONS: { name: string; role: Role; query: string; vars: () => Record<string, unknown> }[] = [
  { name: "createTask", role: "admin", query: `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, vars: () => ({ input: { name: "nope", kind: "HANDLER", config: { handler: "demo.sleep" } } }) },
  { name: "updateTask", role: "admin", query: `mutation($id: ID!) { updateTask(id: $id, input: { description: "x" }) { id } }`, vars: () => ({ id: task.id }) },
  { name: "deleteTask", role: "admin", query: `mutation($id: ID!) { deleteTask(id: $id) }`, vars: () => ({ id: task.id }) },
  { name: "markExecutionFailed", role: "admin", query: `mutation($id: ID!) { markExecutionFailed(id: $id) { id } }`, vars: () => ({ id: encodeId("Execution", 1) }) },
  { name: "deleteExecution", role: "admin", query: `mutation($id: ID!) { deleteExecution(id: $id) }`, vars: () => ({ id: encodeId("Execution", 1) }) },
  { name: "pauseScheduler", role: "admin", query: `mutation { pauseScheduler { paused } }`, vars: () => ({}) },
  { name: "resumeScheduler", role: "admin", query: `mutation { resumeScheduler { paused } }`, vars: () => ({}) },
  { name: "triggerTask", role: "operator", query: `mutation($id: ID!) { triggerTask(id: $id) { id } }`, vars: () => ({ id: task.id }) },
  { name: "cancelExecution", role: "operator", query: `mutation($id: ID!) { cancelExecution(id: $id) { id } }`, vars: () => ({ id: encodeId("Execution", 1) }) },
  { name: "enableTask", role: "operator", query: `mutation($id: ID!) { enableTask(id: $id) { id } }`, vars: () => ({ id: task.id }) },
  { name: "disableTask", role: "operator", query: `mutation($id: ID!) { disableTask(id: $id) { id } }`, vars: () => ({ id: task.id }) },
  { name: "pauseTask", role: "operator", query: `mutation($id: ID!) { pauseTask(id: $id) { id } }`, vars: () => ({ id: task.id }) },
  { name: "resumeTask", role: "operator", query: `mutation($id: ID!) { resumeTask(id: $id) { id } }`, vars: () => ({ id: task.id }) },
];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

const QUERIES: { name: string; query: string; vars: () => Record<string, unknown> }[] = [
  { name: "tasks", query: `{ tasks(first: 5) { totalCount edges { node { id name } } } }`, vars: () => ({}) },
  { name: "task", query: `query($id: ID) { task(id: $id) { name config schedule { cron } } }`, vars: () => ({ id: task.id }) },
  { name: "node", query: `query($id: ID!) { node(id: $id) { id } }`, vars: () => ({ id: task.id }) },
  { name: "executions", query: `{ executions(first: 5) { totalCount } }`, vars: () => ({}) },
  { name: "execution", query: `query($id: ID!) { execution(id: $id) { id } }`, vars: () => ({ id: encodeId("Execution", 999_999) }) },
  { name: "stats", query: `{ stats { total } }`, vars: () => ({}) },
  { name: "scheduler", query: `{ scheduler { running paused version } }`, vars: () => ({}) },
  { name: "auditEvents", query: `{ auditEvents(first: 5) { totalCount } }`, vars: () => ({}) },
  { name: "executionLog", query: `query($id: ID!) { executionLog(id: $id) { seq } }`, vars: () => ({ id: encodeId("Execution", 999_999) }) },
];

describe("HTTP: no token", () => {
  test("every query but `viewer` → UNAUTHENTICATED", async () => {
    for (const q of QUERIES) {
      const r = await post(q.query, q.vars());
      expect(codeOf(r.body), `${q.name}: ${JSON.stringify(r.body)}`).toBe("UNAUTHENTICATED");
    }
    // `viewer` answers who you are: nobody
    expect((await post(`{ viewer { sub role } }`)).body).toEqual({ data: { viewer: null } });
  });

  test("every mutation → UNAUTHENTICATED, nothing changed", async () => {
    const before = await state();
    for (const m of MUTATIONS) {
      const r = await post(m.query, m.vars());
      expect(codeOf(r.body), `${m.name}: ${JSON.stringify(r.body)}`).toBe("UNAUTHENTICATED");
    }
    expect(await state()).toEqual(before);
  });

  test("an empty or non-Bearer Authorization header is no token or a bad one", async () => {
    for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc"]) {
      const r = await post(`{ tasks { totalCount } }`, {}, header);
      expect(codeOf(r.body), header).toBe("UNAUTHENTICATED");
    }
  });
});

describe("HTTP: bad tokens", () => {
  test("garbage, wrong secret, expired, not yet valid, bad claims, alg none/HS512, tampered → UNAUTHENTICATED (401)", async () => {
    const before = await state();
    for (const [why, token] of Object.entries(await badTokens())) {
      for (const query of [`{ tasks { totalCount } }`, `{ viewer { sub } }`, `mutation { pauseScheduler { paused } }`]) {
        const r = await post(query, {}, `Bearer ${token}`);
        expect(codeOf(r.body), `${why}: ${query}: ${JSON.stringify(r.body)}`).toBe("UNAUTHENTICATED");
        expect(r.status, why).toBe(401);
        expect(r.body.data ?? null).toBeNull();
      }
    }
    expect(await state()).toEqual(before);
  });

  test("the scheme is case-insensitive; a token minted with an expiry works until then", async () => {
    const token = await t.app.tokens.mint({ sub: "carol", role: "viewer" }, "1h");
    expect((await post(`{ viewer { sub role } }`, {}, `bearer ${token}`)).body.data.viewer).toEqual({ sub: "carol", role: "viewer" });
  });
});

test("a token accepted before (and so not verified again) is refused the moment it expires", async () => {
  const exp = now() + 2;
  const token = await new SignJWT({ role: "viewer" }).setProtectedHeader({ alg: "HS256" }).setSubject("brief").setExpirationTime(exp).sign(key);
  expect((await post(`{ viewer { sub } }`, {}, `Bearer ${token}`)).body.data.viewer).toEqual({ sub: "brief" });
  expect((await post(`{ viewer { sub } }`, {}, `Bearer ${token}`)).body.data.viewer).toEqual({ sub: "brief" });
  const refused = await waitFor(async () => {
    const r = await post(`{ viewer { sub } }`, {}, `Bearer ${token}`);
    return codeOf(r.body) === "UNAUTHENTICATED" ? r : null;
  }, 10_000, "the expired token to be refused");
  expect(refused.status).toBe(401);
  expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
});

describe("HTTP: per role", () => {
  for (const role of ["viewer", "operator", "admin"] as const) {
    test(`${role}: every query works`, async () => {
      for (const q of QUERIES) {
        const r = await t.gql(q.query, q.vars(), role);
        expect(r.errors, `${q.name}: ${JSON.stringify(r.errors)}`).toBeUndefined();
      }
      expect((await t.ok(`{ viewer { sub role } }`, {}, role)).viewer).toEqual({ sub: `${role}-user`, role });
    });
  }

  for (const role of ["viewer", "operator"] as const) {
    test(`${role}: mutations above the role → FORBIDDEN, nothing changed`, async () => {
      const denied = MUTATIONS.filter((m) => RANK[m.role] > RANK[role]);
      expect(denied.length).toBeGreaterThan(0);
      const before = await state();
      for (const m of denied) {
        const r = await t.gql(m.query, m.vars(), role);
        expect(codeOf(r), `${role} ${m.name}: ${JSON.stringify(r)}`).toBe("FORBIDDEN");
        expect(r.errors![0]!.message).toContain(role);
      }
      expect(await state()).toEqual(before);
    });
  }

  test("operator: trigger, cancel, enable/disable, pause/resume", async () => {
    const exec = await trigger(t, task.id);
    expect(exec).toMatchObject({ manual: true, triggeredBy: "operator-user" });
    expect((await waitForFinal(t, exec.id)).status).toBe("SUCCEEDED");

    const op = (query: string, vars: Record<string, unknown>) => t.ok(query, vars, "operator");
    expect((await op(`mutation($id: ID!) { disableTask(id: $id) { enabled } }`, { id: task.id })).disableTask.enabled).toBe(false);
    expect((await op(`mutation($id: ID!) { enableTask(id: $id) { enabled } }`, { id: task.id })).enableTask.enabled).toBe(true);
    expect((await op(`mutation($id: ID!) { pauseTask(id: $id) { paused } }`, { id: task.id })).pauseTask.paused).toBe(true);
    expect((await op(`mutation($id: ID!) { resumeTask(id: $id) { paused } }`, { id: task.id })).resumeTask.paused).toBe(false);

    const slow = await createTask(t, { name: "auth-slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    const running = await trigger(t, slow.id);
    const cancelled = (await op(`mutation($id: ID!) { cancelExecution(id: $id) { id cancelRequested status } }`, { id: running.id })).cancelExecution;
    expect(cancelled.id).toBe(running.id);
    expect((await waitForFinal(t, running.id)).status).toBe("CANCELLED");

    const actions = (await t.ok(`{ auditEvents(first: 50) { edges { node { actor action ok } } } }`, {}, "viewer")).auditEvents.edges.map((e: any) => e.node);
    for (const action of ["task.trigger", "task.disable", "task.enable", "task.pause", "task.resume", "execution.cancel"]) {
      expect(actions).toContainEqual({ actor: "operator-user", action, ok: true });
    }
  });

  test("admin: everything, including tasks, executions and the scheduler", async () => {
    const admin = (query: string, vars: Record<string, unknown> = {}) => t.ok(query, vars, "admin");
    const created = await createTask(t, { name: "auth-admin", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } } });
    expect((await admin(`mutation($id: ID!) { updateTask(id: $id, input: { description: "by admin" }) { description } }`, { id: created.id })).updateTask.description).toBe("by admin");

    expect((await admin(`mutation { pauseScheduler { paused } }`)).pauseScheduler.paused).toBe(true);
    expect((await admin(`mutation { resumeScheduler { paused } }`)).resumeScheduler.paused).toBe(false);

    const exec = (await admin(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: created.id })).triggerTask;
    await waitFor(async () => (await t.app.db.prisma.execution.findFirst({ where: { task: { name: "auth-admin" }, status: "RUNNING" } })) ?? null, 10_000, "the run to start");
    expect((await admin(`mutation($id: ID!) { markExecutionFailed(id: $id, reason: "by hand") { status } }`, { id: exec.id })).markExecutionFailed.status).toBe("FAILED");
    expect((await admin(`mutation($id: ID!) { deleteExecution(id: $id) }`, { id: exec.id })).deleteExecution).toBe(exec.id);
    expect((await admin(`mutation($id: ID!) { deleteTask(id: $id) }`, { id: created.id })).deleteTask).toBe(created.id);
    expect(await t.app.db.prisma.task.findFirst({ where: { name: "auth-admin" } })).toBeNull();
  });
});

describe("WebSocket", () => {
  const SUB = `subscription { executionEvents { id status } }`;

  /** what a graphql-ws client sees when it subscribes: the close event, and whether it got connected */
  async function attempt(client: Client): Promise<{ connected: boolean; error: any }> {
    let connected = false;
    client.on("connected", () => (connected = true));
    const error = await new Promise<any>((resolve) => {
      client.subscribe({ query: SUB }, { next: () => resolve(new Error("got an event")), error: resolve, complete: () => resolve(new Error("completed")) });
    });
    return { connected, error };
  }

  test("no token: closed at connect with 4403 Forbidden", async () => {
    const { connected, error } = await attempt(t.ws(null));
    expect(connected).toBe(false);
    expect(error).toMatchObject({ code: 4403, reason: "Forbidden" });
  });

  test("bad tokens: closed at connect with 4403 Forbidden", async () => {
    for (const [why, token] of Object.entries(await badTokens())) {
      const { connected, error } = await attempt(t.ws(null, token));
      expect(connected, why).toBe(false);
      expect(error, why).toMatchObject({ code: 4403, reason: "Forbidden" });
    }
  });

  test("a valid viewer token subscribes and sees status changes", async () => {
    const client = t.ws("viewer");
    const events = collect(client, `subscription($taskId: ID) { executionEvents(taskId: $taskId) { id status task { name } } }`, { taskId: task.id }, (ev) =>
      ev.some((e: any) => e.status === "SUCCEEDED"),
    );
    // the subscription is live once the server has acknowledged it; trigger until it sees one
    let exec: any;
    await waitFor(async () => {
      exec = await trigger(t, task.id);
      await waitForFinal(t, exec.id);
      return Promise.race([events.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
    }, 15_000, "an executionEvents event");
    const seen = await events;
    expect(seen.every((e: any) => e.task.name === "auth-quick")).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: "SUCCEEDED" });
  });

  test("over WebSocket the roles still apply per field", async () => {
    const client = t.ws("viewer");
    const result = await new Promise<any>((resolve, reject) => {
      let last: any;
      client.subscribe({ query: `mutation { pauseScheduler { paused } }` }, { next: (v) => (last = v), error: reject, complete: () => resolve(last) });
    });
    expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result)).toBe("FORBIDDEN");
    expect((await t.ok(`{ scheduler { paused } }`, {}, "viewer")).scheduler.paused).toBe(false);
  });
});

test("`jobgraph token --role viewer --sub alice` mints a token the service accepts", async () => {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.tmpdir(),
    JOBGRAPH_JWT_SECRET: TEST_SECRET,
    JOBGRAPH_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "jobgraph-token-")),
    LOG_LEVEL: "silent",
  };
  const { code, stdout, stderr } = await runCli(["token", "--role", "viewer", "--sub", "alice"], env);
  expect(code, stderr).toBe(0);
  const token = stdout.trim();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const me = await post(`{ viewer { sub role } }`, {}, `Bearer ${token}`);
  expect(me.body).toEqual({ data: { viewer: { sub: "alice", role: "viewer" } } });
  const denied = await post(`mutation { pauseScheduler { paused } }`, {}, `Bearer ${token}`);
  expect(codeOf(denied.body)).toBe("FORBIDDEN");
  // and it opens a WebSocket
  const events = t.ws(null, token);
  let connected = false;
  events.on("connected", () => (connected = true));
  const result = await new Promise<any>((resolve, reject) => {
    let last: any;
    events.subscribe({ query: `{ viewer { sub } }` }, { next: (v) => (last = v), error: reject, complete: () => resolve(last) });
  });
  expect(connected).toBe(true);
  expect(result.data).toEqual({ viewer: { sub: "alice" } });
}, 60_000);
