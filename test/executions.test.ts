// The life cycle of executions, end to end through the GraphQL API: real child processes for
// COMMAND tasks, a real local HTTP server for HTTP tasks, the demo handlers for HANDLER tasks.
// Covers params/progress/result/logs, failures, retries with backoff, timeout, cancel, mark-failed,
// delete, disabled/paused tasks and the overlap policies.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeId } from "../src/graphql/ids.ts";
import { isAlive } from "./helpers/processes.ts";
import {
  EXECUTION_FIELDS,
  createTask,
  getExecution,
  sleep,
  startTestApp,
  trigger,
  waitFor,
  waitForFinal,
  type GqlResult,
  type TestApp,
} from "./helpers/app.ts";
import { scriptFolder } from "./helpers/scripts.ts";


let t: TestApp;
const scripts = scriptFolder("jobgraph-exec-e2e-");
const tmp = scripts.dir;
const script = scripts.write;
let taskSeq = 0;
const uniqueName = (base: string) => `${base}-${++taskSeq}`;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
  scripts.remove();
});

// ── small helpers ────────────────────────────────────────────────────────────────────────────


/** a fresh folder for one run's pid files */
function runDir(): string {
  return mkdtempSync(join(tmp, "run-"));
}


async function readPids(dir: string, names: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of names) {
    const file = join(dir, `${n}.pid`);
    out[n] = await waitFor(async () => existsSync(file) && Number(readFileSync(file, "utf8").trim()), 10_000, `${n}.pid`);
  }
  return out;
}

async function expectAllGone(pids: Record<string, number>): Promise<void> {
  await waitFor(async () => Object.values(pids).every((p) => !isAlive(p)), 5_000, `processes ${JSON.stringify(pids)} to be gone`).catch(() => {});
  for (const [name, pid] of Object.entries(pids)) expect(isAlive(pid), `${name} (pid ${pid}) still alive`).toBe(false);
}

function expectCode(r: GqlResult, code: string) {
  expect(r.data ?? null, JSON.stringify(r)).toBeNull();
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r.errors)).toBe(code);
}

async function waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<any> {
  return waitFor(async () => {
    const e = await getExecution(t, id);
    return e.status === status ? e : null;
  }, timeoutMs, `execution ${id} to be ${status}`);
}

async function taskExecutions(taskId: string): Promise<any[]> {
  const data = await t.ok(
    `query($taskId: ID!) { executions(first: 50, filter: { taskId: $taskId }) { totalCount edges { node { ${EXECUTION_FIELDS} } } } }`,
    { taskId },
    "viewer",
  );
  return data.executions.edges.map((e: any) => e.node);
}

const cancel = (id: string) => t.gql(`mutation($id: ID!) { cancelExecution(id: $id) { ${EXECUTION_FIELDS} } }`, { id }, "operator");

/** best effort: leave no run of a test holding a slot */
async function cancelQuietly(...ids: string[]) {
  for (const id of ids) await cancel(id).catch(() => {});
}

const ms = (iso: string) => new Date(iso).getTime();

// A node program with a process tree: itself (group leader), a child shell and that shell's
// background `sleep` (the grandchild). Each writes its pid to params.dir. With params.ignoreTerm
// the main process ignores SIGTERM, so only SIGKILL after the grace period ends it.
const TREE = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
const params = JSON.parse(process.env.JOBGRAPH_PARAMS);
if (params.ignoreTerm) process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
const child = spawn("sh", ["-c", 'sleep 60 & echo $! > "$1"; wait', "sh", join(params.dir, "grandchild.pid")], { stdio: "ignore" });
writeFileSync(join(params.dir, "child.pid"), String(child.pid));
writeFileSync(join(params.dir, "main.pid"), String(process.pid));
console.log("tree started");
setInterval(() => {}, 1000);
`;

// ── COMMAND ──────────────────────────────────────────────────────────────────────────────────

describe("COMMAND", () => {
  test("params merge over defaults; progress, result, logTail and executionLog", async () => {
    const file = script(
      "progress.mjs",
      `
const params = JSON.parse(process.env.JOBGRAPH_PARAMS);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const report = (m) => console.log("::jobgraph " + JSON.stringify(m));
console.log("start " + process.env.JOBGRAPH_EXECUTION_ID);
const total = params.count;
for (let i = 1; i <= total; i++) {
  console.log("item " + i);
  report({ progress: i / total, message: "item " + i + " of " + total, processed: i, total, currentItem: "item-" + i });
  await sleep(params.delayMs);
}
report({ result: { params, executionId: process.env.JOBGRAPH_EXECUTION_ID } });
console.log("done");
`,
    );
    const task = await createTask(t, {
      name: uniqueName("cmd-progress"),
      kind: "COMMAND",
      config: { command: process.execPath, args: [file], defaults: { count: 3, delayMs: 20, label: "default", keep: "yes" } },
    });
    const exec = await trigger(t, task.id, { count: 4, label: "override" });
    expect(exec.params).toEqual({ count: 4, label: "override" });
    const done = await waitForFinal(t, exec.id);
    const numericId = String(decodeId(exec.id, "Execution", "id"));

    expect(done).toMatchObject({
      status: "SUCCEEDED",
      error: null,
      progress: 1,
      processedItems: 4,
      totalItems: 4,
      currentItem: "item-4",
      progressMessage: "item 4 of 4",
      result: { params: { count: 4, delayMs: 20, label: "override", keep: "yes" }, executionId: numericId },
    });
    expect(done.startedAt).toBeTruthy();
    expect(ms(done.finishedAt)).toBeGreaterThanOrEqual(ms(done.startedAt));
    expect(done.durationMs).toBe(ms(done.finishedAt) - ms(done.startedAt));

    const expectedLines = [`start ${numericId}`, "item 1", "item 2", "item 3", "item 4", "done"];
    // protocol lines are consumed, not logged
    expect(done.logTail.split("\n")).toEqual(expectedLines);

    const log = await t.ok(`query($id: ID!) { executionLog(id: $id) { seq at stream text } }`, { id: exec.id }, "viewer");
    expect(log.executionLog.map((l: any) => l.text)).toEqual(expectedLines);
    expect(log.executionLog.map((l: any) => l.seq)).toEqual(expectedLines.map((_, i) => i + 1));
    expect(new Set(log.executionLog.map((l: any) => l.stream))).toEqual(new Set(["stdout"]));

    const after = await t.ok(`query($id: ID!) { executionLog(id: $id, afterSeq: 4) { seq text } }`, { id: exec.id }, "viewer");
    expect(after.executionLog).toEqual([
      { seq: 5, text: "item 4" },
      { seq: 6, text: "done" },
    ]);
  });

  test("a failing script (exit 3) → FAILED with the stderr tail in error", async () => {
    const file = script(
      "fail.mjs",
      `
console.log("working");
console.error("first problem");
console.error("fatal: disk on fire");
process.exit(3);
`,
    );
    const task = await createTask(t, { name: uniqueName("cmd-fail"), kind: "COMMAND", config: { command: process.execPath, args: [file] } });
    const exec = await trigger(t, task.id);
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatch(/exit code 3/);
    expect(done.error).toContain("first problem");
    expect(done.error).toContain("fatal: disk on fire");
    expect(done.logTail).toContain("working");
    expect(done.logTail).toContain("[stderr] fatal: disk on fire");
    const log = await t.ok(`query($id: ID!) { executionLog(id: $id) { seq stream text } }`, { id: exec.id }, "viewer");
    expect(log.executionLog).toEqual([
      { seq: 1, stream: "stdout", text: "working" },
      { seq: 2, stream: "stderr", text: "first problem" },
      { seq: 3, stream: "stderr", text: "fatal: disk on fire" },
    ]);
  });

  test("timeout → TIMED_OUT, and the child and grandchild are gone (main ignores SIGTERM)", async () => {
    const file = script("tree.mjs", TREE);
    const dir = runDir();
    const task = await createTask(t, {
      name: uniqueName("cmd-timeout"),
      kind: "COMMAND",
      timeoutSeconds: 1,
      config: { command: process.execPath, args: [file], defaults: { dir, ignoreTerm: true } },
    });
    const exec = await trigger(t, task.id);
    const pids = await readPids(dir, ["main", "child", "grandchild"]);
    expect(Object.values(pids).every(isAlive)).toBe(true);
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("TIMED_OUT");
    expect(done.error).toMatch(/timed out after 1 s/);
    expect(ms(done.finishedAt) - ms(done.startedAt)).toBeGreaterThanOrEqual(1000);
    await expectAllGone(pids);
    // no retry configured
    expect(await taskExecutions(task.id)).toHaveLength(1);
  });
});

// ── HTTP and HANDLER ─────────────────────────────────────────────────────────────────────────

describe("HTTP", () => {
  let server: Server;
  let base: string;
  const received: { method?: string; url?: string; contentType?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ method: req.method, url: req.url, contentType: req.headers["content-type"], body });
        if (req.url === "/ok") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: true, got: body ? JSON.parse(body) : null }));
        } else {
          res.writeHead(503, { "content-type": "text/plain" });
          res.end("upstream is down for maintenance");
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test("success: params (merged over defaults) are the JSON body, the JSON response is the result", async () => {
    const task = await createTask(t, { name: uniqueName("http-ok"), kind: "HTTP", config: { url: `${base}/ok`, method: "POST", defaults: { a: 1, b: "x" } } });
    const exec = await trigger(t, task.id, { b: "y", c: [1, 2] });
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.result).toEqual({ ok: true, got: { a: 1, b: "y", c: [1, 2] } });
    const req = received.find((r) => r.url === "/ok")!;
    expect(req.method).toBe("POST");
    expect(req.contentType).toMatch(/application\/json/);
    expect(JSON.parse(req.body)).toEqual({ a: 1, b: "y", c: [1, 2] });
  });

  test("an unexpected status → FAILED naming the status", async () => {
    const task = await createTask(t, { name: uniqueName("http-bad"), kind: "HTTP", config: { url: `${base}/down` } });
    const exec = await trigger(t, task.id);
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatch(/HTTP 503/);
    expect(done.error).toContain("upstream is down");
  });
});

describe("HANDLER", () => {
  test("demo.fail → FAILED with its message", async () => {
    const task = await createTask(t, { name: uniqueName("handler-fail"), kind: "HANDLER", config: { handler: "demo.fail" } });
    const exec = await trigger(t, task.id, { message: "the sky fell" });
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("the sky fell");
    expect(await taskExecutions(task.id)).toHaveLength(1); // maxRetries defaults to 0
  });
});

// ── retries ──────────────────────────────────────────────────────────────────────────────────

test("retries with backoff: three linked attempts, delays 1 s then 2 s", async () => {
  const task = await createTask(t, {
    name: uniqueName("retry"),
    kind: "HANDLER",
    config: { handler: "demo.fail", defaults: { message: "nope" } },
    maxRetries: 2,
    retryDelaySeconds: 1,
    retryBackoff: 2,
  });
  const first = await trigger(t, task.id);
  const runs = await waitFor(
    async () => {
      const all = await taskExecutions(task.id);
      return all.length === 3 && all.every((e) => e.status === "FAILED") ? all : null;
    },
    15_000,
    "three failed attempts",
  );
  runs.sort((a, b) => a.attempt - b.attempt);
  const [a1, a2, a3] = runs;
  expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
  expect(runs.map((r) => r.trigger)).toEqual(["MANUAL", "RETRY", "RETRY"]);
  expect(a1.id).toBe(first.id);
  expect(a1.retryOf).toBeNull();
  expect(a2.retryOf).toEqual({ id: a1.id });
  expect(a3.retryOf).toEqual({ id: a2.id });
  // and forward: each attempt names the one that retried it
  const forward = await t.ok(`query($a: ID!, $b: ID!, $c: ID!) { a: execution(id: $a) { retriedBy { id attempt } } b: execution(id: $b) { retriedBy { id } } c: execution(id: $c) { retriedBy { id } } }`, { a: a1.id, b: a2.id, c: a3.id }, "viewer");
  expect(forward).toEqual({ a: { retriedBy: { id: a2.id, attempt: 2 } }, b: { retriedBy: { id: a3.id } }, c: { retriedBy: null } });
  for (const r of runs) expect(r.error).toBe("nope");
  // a retry is not started before its delay: 1 s × 2^0, then 1 s × 2^1 (a little slack for ms rounding)
  expect(ms(a2.startedAt)).toBeGreaterThanOrEqual(ms(a1.finishedAt) + 1000 - 5);
  expect(ms(a3.startedAt)).toBeGreaterThanOrEqual(ms(a2.finishedAt) + 2000 - 5);
  // the last attempt was the last: a fourth would have been inserted with the third's final state
  expect(await taskExecutions(task.id)).toHaveLength(3);
});

// ── cancel, mark failed, delete ──────────────────────────────────────────────────────────────

describe("cancel", () => {
  test("a RUNNING command with a process tree → CANCELLED, tree gone", async () => {
    const file = script("tree-cancel.mjs", TREE);
    const dir = runDir();
    const task = await createTask(t, { name: uniqueName("cmd-cancel"), kind: "COMMAND", config: { command: process.execPath, args: [file], defaults: { dir } } });
    const exec = await trigger(t, task.id);
    const pids = await readPids(dir, ["main", "child", "grandchild"]);
    await waitForStatus(exec.id, "RUNNING");
    const r = await cancel(exec.id);
    expect(r.errors).toBeUndefined();
    expect(r.data.cancelExecution.cancelRequested).toBe(true);
    expect(["RUNNING", "CANCELLED"]).toContain(r.data.cancelExecution.status);
    const done = await waitForFinal(t, exec.id);
    expect(done.status).toBe("CANCELLED");
    expect(done.cancelRequested).toBe(true);
    await expectAllGone(pids);

    // a finished execution cannot be cancelled
    expectCode(await cancel(exec.id), "CONFLICT");
  });

  test("a PENDING execution queued behind a running one (QUEUE) → CANCELLED at once", async () => {
    const task = await createTask(t, { name: uniqueName("queue-cancel"), kind: "HANDLER", overlapPolicy: "QUEUE", config: { handler: "demo.sleep", defaults: { ms: 20_000 } } });
    const running = await trigger(t, task.id);
    await waitForStatus(running.id, "RUNNING");
    const queued = await trigger(t, task.id);
    await sleep(300);
    expect((await getExecution(t, queued.id)).status).toBe("PENDING");
    const r = await cancel(queued.id);
    expect(r.errors).toBeUndefined();
    expect(r.data.cancelExecution.status).toBe("CANCELLED");
    expect(r.data.cancelExecution.startedAt).toBeNull();
    expect(r.data.cancelExecution.finishedAt).toBeTruthy();
    expect((await getExecution(t, running.id)).status).toBe("RUNNING");
    expectCode(await cancel(queued.id), "CONFLICT");

    // a cancelled handler run ends promptly too
    await cancel(running.id);
    expect((await waitForFinal(t, running.id)).status).toBe("CANCELLED");
  });

  test("a PENDING retry waiting for its delay → CANCELLED at once, and no further retry", async () => {
    const task = await createTask(t, {
      name: uniqueName("retry-cancel"),
      kind: "HANDLER",
      maxRetries: 3,
      retryDelaySeconds: 60,
      config: { handler: "demo.fail" },
    });
    const first = await trigger(t, task.id);
    const retry = await waitFor(async () => (await taskExecutions(task.id)).find((e) => e.attempt === 2), 10_000, "the retry");
    expect((await getExecution(t, first.id)).status).toBe("FAILED");
    expect(retry).toMatchObject({ status: "PENDING", trigger: "RETRY", retryOf: { id: first.id } });
    const r = await cancel(retry.id);
    expect(r.errors).toBeUndefined();
    expect(r.data.cancelExecution.status).toBe("CANCELLED");
    await sleep(200);
    expect(await taskExecutions(task.id)).toHaveLength(2);
  });
});

test("markExecutionFailed on a RUNNING command: FAILED with the reason, process stopped, no retry", async () => {
  const file = script("tree-mark.mjs", TREE);
  const dir = runDir();
  const task = await createTask(t, {
    name: uniqueName("mark-failed"),
    kind: "COMMAND",
    maxRetries: 2,
    retryDelaySeconds: 0,
    config: { command: process.execPath, args: [file], defaults: { dir } },
  });
  const exec = await trigger(t, task.id);
  const pids = await readPids(dir, ["main", "child", "grandchild"]);
  await waitForStatus(exec.id, "RUNNING");
  const data = await t.ok(`mutation($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { ${EXECUTION_FIELDS} } }`, {
    id: exec.id,
    reason: "stuck on a lock",
  });
  expect(data.markExecutionFailed.status).toBe("FAILED");
  expect(data.markExecutionFailed.error).toMatch(/marked failed by .*: stuck on a lock/);
  expect(data.markExecutionFailed.finishedAt).toBeTruthy();
  await expectAllGone(pids);
  await sleep(500); // the worker notices, stops, and must not overwrite the verdict
  const after = await getExecution(t, exec.id);
  expect(after.status).toBe("FAILED");
  expect(after.error).toMatch(/stuck on a lock/);
  const all = await taskExecutions(task.id);
  expect(all).toHaveLength(1);

  // a finished execution cannot be marked failed again
  const again = await t.gql(`mutation($id: ID!) { markExecutionFailed(id: $id) { id } }`, { id: exec.id });
  expectCode(again, "CONFLICT");
});

test("deleteExecution: CONFLICT while PENDING or RUNNING, works once finished", async () => {
  const task = await createTask(t, { name: uniqueName("delete"), kind: "HANDLER", overlapPolicy: "QUEUE", config: { handler: "demo.sleep", defaults: { ms: 20_000 } } });
  const running = await trigger(t, task.id);
  await waitForStatus(running.id, "RUNNING");
  const pending = await trigger(t, task.id);
  await sleep(200);
  expect((await getExecution(t, pending.id)).status).toBe("PENDING");
  const del = (id: string) => t.gql(`mutation($id: ID!) { deleteExecution(id: $id) }`, { id });
  expectCode(await del(running.id), "CONFLICT");
  expectCode(await del(pending.id), "CONFLICT");
  expect((await getExecution(t, running.id)).status).toBe("RUNNING");
  expect((await getExecution(t, pending.id)).status).toBe("PENDING");

  await cancel(pending.id);
  await cancel(running.id);
  await waitForFinal(t, running.id);
  for (const id of [pending.id, running.id]) {
    const r = await del(id);
    expect(r.errors).toBeUndefined();
    expect(r.data.deleteExecution).toBe(id);
    expect(await getExecution(t, id)).toBeNull();
  }
});

// the deleted execution cannot be linked any more: the event keeps its id in details
test("a successful deleteExecution writes an audit event", async () => {
  const task = await createTask(t, { name: uniqueName("delete-audit"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
  const exec = await trigger(t, task.id);
  await waitForFinal(t, exec.id);
  const r = await t.gql(`mutation($id: ID!) { deleteExecution(id: $id) }`, { id: exec.id });
  expect(r.errors).toBeUndefined();
  const audit = await t.ok(`{ auditEvents(first: 50, action: "execution.delete") { edges { node { ok actor details } } } }`, {}, "viewer");
  const nodes = audit.auditEvents.edges.map((e: any) => e.node);
  expect(nodes.some((n: any) => n.ok && n.details?.id === exec.id)).toBe(true);
});

// ── disabled / paused ────────────────────────────────────────────────────────────────────────

test("triggerTask: CONFLICT on a disabled task, runs once on a paused one", async () => {
  const disabled = await createTask(t, { name: uniqueName("disabled"), kind: "HANDLER", enabled: false, config: { handler: "demo.sleep", defaults: { ms: 1 } } });
  const r = await t.gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: disabled.id }, "operator");
  expectCode(r, "CONFLICT");
  expect(await taskExecutions(disabled.id)).toHaveLength(0);

  const paused = await createTask(t, { name: uniqueName("paused"), kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
  const p = await t.ok(`mutation($id: ID!) { pauseTask(id: $id) { paused } }`, { id: paused.id }, "operator");
  expect(p.pauseTask.paused).toBe(true);
  const exec = await trigger(t, paused.id);
  const done = await waitForFinal(t, exec.id);
  expect(done).toMatchObject({ status: "SUCCEEDED", result: { sleptMs: 1 }, manual: true, trigger: "MANUAL" });
  await sleep(200);
  expect(await taskExecutions(paused.id)).toHaveLength(1);
  const after = await t.ok(`query($id: ID!) { task(id: $id) { paused enabled } }`, { id: paused.id }, "viewer");
  expect(after.task).toEqual({ paused: true, enabled: true });
});

test("triggerTask answers with the new run and any relation the selection asks for", async () => {
  const name = uniqueName("answer");
  const task = await createTask(t, { name, kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 1 } } });
  const r = await t.ok(
    `mutation($id: ID!) { triggerTask(id: $id, params: { ms: 2 }) { id trigger manual params triggeredBy task { id name } retryOf { id } parent { id } } }`,
    { id: task.id },
    "operator",
  );
  expect(r.triggerTask).toMatchObject({ trigger: "MANUAL", manual: true, params: { ms: 2 }, task: { id: task.id, name }, retryOf: null, parent: null });
  expect(await waitForFinal(t, r.triggerTask.id)).toMatchObject({ status: "SUCCEEDED", result: { sleptMs: 2 } });
});

// ── overlap policies ─────────────────────────────────────────────────────────────────────────

describe("overlap policies", () => {
  test("SKIP: a second run while the first runs is SKIPPED with the reason; force bypasses it", async () => {
    const task = await createTask(t, { name: uniqueName("skip"), kind: "HANDLER", overlapPolicy: "SKIP", config: { handler: "demo.sleep", defaults: { ms: 20_000 } } });
    const first = await trigger(t, task.id);
    try {
      await waitForStatus(first.id, "RUNNING");
      const second = await trigger(t, task.id);
      const skipped = await waitForFinal(t, second.id);
      expect(skipped.status).toBe("SKIPPED");
      expect(skipped.error).toMatch(/still running/);
      expect(skipped.error).toMatch(/SKIP/);
      expect(skipped.startedAt).toBeNull();

      const forced = await trigger(t, task.id, undefined, true);
      try {
        await waitForStatus(forced.id, "RUNNING");
        expect((await getExecution(t, first.id)).status).toBe("RUNNING");
      } finally {
        await cancelQuietly(forced.id);
      }
    } finally {
      await cancelQuietly(first.id);
    }
  });

  test("QUEUE: the second run waits and starts after the first finishes", async () => {
    const task = await createTask(t, { name: uniqueName("queue"), kind: "HANDLER", overlapPolicy: "QUEUE", config: { handler: "demo.sleep", defaults: { ms: 1200 } } });
    const first = await trigger(t, task.id);
    await waitForStatus(first.id, "RUNNING");
    const second = await trigger(t, task.id);
    await sleep(250);
    expect((await getExecution(t, second.id)).status).toBe("PENDING");
    const [d1, d2] = [await waitForFinal(t, first.id), await waitForFinal(t, second.id)];
    expect(d1.status).toBe("SUCCEEDED");
    expect(d2.status).toBe("SUCCEEDED");
    expect(ms(d2.startedAt)).toBeGreaterThanOrEqual(ms(d1.finishedAt));
  });

  test("ALLOW: both runs are RUNNING at once", async () => {
    const task = await createTask(t, { name: uniqueName("allow"), kind: "HANDLER", overlapPolicy: "ALLOW", config: { handler: "demo.sleep", defaults: { ms: 20_000 } } });
    const a = await trigger(t, task.id);
    const b = await trigger(t, task.id);
    try {
      await waitFor(
        async () => {
          const [ea, eb] = [await getExecution(t, a.id), await getExecution(t, b.id)];
          return ea.status === "RUNNING" && eb.status === "RUNNING";
        },
        10_000,
        "both RUNNING",
      );
    } finally {
      await cancelQuietly(a.id, b.id);
    }
    expect((await waitForFinal(t, a.id)).status).toBe("CANCELLED");
    expect((await waitForFinal(t, b.id)).status).toBe("CANCELLED");
  });
});
