import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { pino } from "pino";
import type { CalendarRange } from "../../src/calendars/service.ts";
import { createCommandExecutor } from "../../src/executors/command.ts";
import { createHttpExecutor } from "../../src/executors/http.ts";
import { createHandlerExecutor } from "../../src/executors/handler.ts";
import { createDefaultHandlerRegistry } from "../../src/executors/handlers/registry.ts";
import { ExecutionFailure, type ExecutionContext, type LogStream, type ProgressUpdate } from "../../src/executors/types.ts";
import { isAlive } from "../helpers/processes.ts";

const silent = pino({ level: "silent" });
const tmp = mkdtempSync(join(tmpdir(), "jobgraph-exec-"));
const command = createCommandExecutor({ killGraceMs: 300, drainTimeoutMs: 1000 });

function fakeContext(config: Record<string, unknown>, params: Record<string, unknown> = {}, executionId = 42, scheduledAt = new Date()) {
  const controller = new AbortController();
  const progress: ProgressUpdate[] = [];
  const logs: { stream: LogStream; text: string }[] = [];
  const ctx: ExecutionContext = {
    executionId,
    taskName: "test-task",
    scheduledAt,
    config,
    params,
    signal: controller.signal,
    progress: (u) => progress.push(u),
    log: (stream, text) => logs.push({ stream, text }),
    logger: silent,
  };
  return { ctx, controller, progress, logs, lines: (s: LogStream) => logs.filter((l) => l.stream === s).map((l) => l.text) };
}

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("waitFor: timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}


const readPid = (file: string) => waitFor(() => existsSync(file) && Number(readFileSync(file, "utf8").trim()));

async function failureOf(p: Promise<unknown>): Promise<ExecutionFailure> {
  const err = await p.then(
    () => {
      throw new Error("expected the executor to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExecutionFailure);
  return err as ExecutionFailure;
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---- COMMAND ---------------------------------------------------------------------------------

test("command: protocol progress in order, result, env and plain output", async () => {
  const script = [
    `console.log("hello");`,
    `console.log("::jobgraph " + JSON.stringify({ progress: 0.5, message: "half", processed: 1, total: 2, currentItem: "AAPL" }));`,
    `console.log("::jobgraph {not json");`,
    `console.error("warn line");`,
    `console.log("::jobgraph " + JSON.stringify({ processed: 2 }));`,
    `console.log("::jobgraph " + JSON.stringify({ result: { params: JSON.parse(process.env.JOBGRAPH_PARAMS), id: process.env.JOBGRAPH_EXECUTION_ID, at: process.env.JOBGRAPH_SCHEDULED_AT, extra: process.env.EXTRA } }));`,
    `process.stdout.write("last line without newline");`,
  ].join("\n");
  const { ctx, progress, lines } = fakeContext(
    { command: process.execPath, args: ["-e", script], env: { EXTRA: "x" } },
    { day: "2024-01-02" },
    7,
    new Date("2024-01-02T06:00:00Z"),
  );
  const outcome = await command(ctx);
  expect(outcome.result).toEqual({ params: { day: "2024-01-02" }, id: "7", at: "2024-01-02T06:00:00.000Z", extra: "x" });
  expect(progress).toEqual([
    { progress: 0.5, message: "half", processed: 1, total: 2, currentItem: "AAPL" },
    { processed: 2 },
  ]);
  expect(lines("stdout")).toEqual(["hello", "::jobgraph {not json", "last line without newline"]);
  expect(lines("stderr")).toEqual(["warn line"]);
});

test("command: bundled example scripts run through the protocol, for the day the run is for", async () => {
  // a catch-up of a fire from a Friday in the past: the scripts process that Friday, not today
  const fridayFire = new Date("2025-03-14T22:30:00Z");
  const stocks = fakeContext({ command: process.execPath, args: ["examples/sync_stock_list.mjs"] }, { count: 3, delayMs: 1 }, 1, fridayFire);
  expect((await command(stocks.ctx)).result).toEqual({ asOf: "2025-03-14", symbols: 3, inserted: 1, updated: 2 });
  expect(stocks.progress.at(-1)).toMatchObject({ progress: 1, processed: 3, total: 3, currentItem: "GOOGL" });
  expect(stocks.lines("stdout")[0]).toMatch(/3 symbols as of 2025-03-14$/);

  // the calendar sync covers the run's year (and the next), not today's
  // (what the run hands to the calendar service on success is checked end to end in calendars.test.ts)
  const applied: CalendarRange[] = [];
  const withCalendars = createCommandExecutor({ killGraceMs: 300, drainTimeoutMs: 1000, calendars: { applyFromRun: async (ranges) => void applied.push(...ranges) } });
  const calendar = fakeContext({ command: process.execPath, args: ["examples/sync_trading_calendar.mjs"] }, { delayMs: 0 }, 2, fridayFire);
  expect((await withCalendars(calendar.ctx)).result).toMatchObject({ name: "XSHG", from: "2025-01-01", until: "2026-12-31", sampleData: true });
  // an explicit range still wins: Mon 23 – Fri 27 December 2024, the 25th a sample holiday
  const explicit = fakeContext({ command: process.execPath, args: ["examples/sync_trading_calendar.mjs"] }, { from: "2024-12-23", until: "2024-12-27", delayMs: 0 }, 3, fridayFire);
  expect((await withCalendars(explicit.ctx)).result).toEqual({ name: "XSHG", from: "2024-12-23", until: "2024-12-27", tradingDays: 4, sampleHolidays: 1, sampleData: true });
  expect(applied.at(-1)).toEqual({ name: "XSHG", from: "2024-12-23", until: "2024-12-27", tradingDays: ["2024-12-23", "2024-12-24", "2024-12-26", "2024-12-27"] });
});

test("command: non-zero exit fails with the stderr tail", async () => {
  const { ctx } = fakeContext({ command: "sh", args: ["-c", "echo out; echo first >&2; echo second >&2; exit 3"] });
  const err = await failureOf(command(ctx));
  expect(err.message).toBe("exit code 3: first\nsecond");
});

test("command: missing program is a clear failure", async () => {
  const { ctx } = fakeContext({ command: "jobgraph-no-such-command-xyz" });
  const err = await failureOf(command(ctx));
  expect(err.message).toMatch(/cannot start "jobgraph-no-such-command-xyz": command not found/);
});

test("command: shell mode", async () => {
  const { ctx, lines } = fakeContext({ command: "echo a | tr a b", shell: true });
  await command(ctx);
  expect(lines("stdout")).toEqual(["b"]);
});

test("command: abort kills the whole process tree", async () => {
  const bgFile = join(tmp, "abort-bg.pid");
  const mainFile = join(tmp, "abort-main.pid");
  const { ctx, controller } = fakeContext({
    command: "sh",
    args: ["-c", `sleep 30 & echo $! > ${bgFile}; echo $$ > ${mainFile}; sleep 30; echo never`],
  });
  const run = command(ctx);
  const bg = await readPid(bgFile);
  const main = await readPid(mainFile);
  controller.abort("cancelled by test");
  const err = await failureOf(run);
  expect(err.message).toBe("aborted: cancelled by test");
  await waitFor(() => !isAlive(bg) && !isAlive(main));
});

test("command: a child ignoring SIGTERM is SIGKILLed after the grace period", async () => {
  const pidFile = join(tmp, "stubborn.pid");
  const { ctx, controller, logs } = fakeContext({
    command: "sh",
    args: ["-c", `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`],
  });
  const run = command(ctx);
  const pid = await readPid(pidFile);
  controller.abort(new Error("timeout"));
  const err = await failureOf(run);
  expect(err.message).toBe("aborted: timeout");
  expect(logs.some((l) => l.stream === "system" && l.text.includes("SIGKILL"))).toBe(true);
  await waitFor(() => !isAlive(pid));
});

test("command: a grandchild left behind after a successful exit is killed", async () => {
  const bgFile = join(tmp, "orphan.pid");
  const { ctx, lines } = fakeContext({
    command: "sh",
    args: ["-c", `sleep 30 & echo $! > ${bgFile}; echo done`],
  });
  await command(ctx); // resolves although the grandchild holds stdout open
  expect(lines("stdout")).toEqual(["done"]);
  const bg = await readPid(bgFile);
  await waitFor(() => !isAlive(bg));
});

test("command: does not wait forever for pipes held by a process that left the group", async () => {
  const escFile = join(tmp, "escaped.pid");
  const quick = createCommandExecutor({ killGraceMs: 300, drainTimeoutMs: 200 });
  const { ctx, lines } = fakeContext({
    command: "sh",
    args: ["-c", `setsid sh -c 'echo $$ > ${escFile}; exec sleep 30' & while [ ! -s ${escFile} ]; do sleep 0.01; done; echo started`],
  });
  await quick(ctx);
  expect(lines("stdout")).toEqual(["started"]);
  expect(lines("system").some((l) => l.includes("pipes still open"))).toBe(true);
  process.kill(await readPid(escFile), "SIGKILL"); // outside the group by design: clean up here
});

test("command: a supervisor killed from outside takes its command's group with it", async () => {
  const mainFile = join(tmp, "orphaned-main.pid");
  const supervisorFile = join(tmp, "orphaned-supervisor.pid");
  const { ctx, lines } = fakeContext({
    command: "sh",
    args: ["-c", `echo $PPID > ${supervisorFile}; echo $$ > ${mainFile}; sleep 30`],
  });
  const run = command(ctx);
  const main = await readPid(mainFile);
  process.kill(await readPid(supervisorFile), "SIGKILL");
  const err = await failureOf(run);
  expect(err.message).toBe("killed by signal SIGKILL");
  expect(lines("system")).toContain("the command's supervisor ended unexpectedly");
  await waitFor(() => !isAlive(main));
});

test("command: arguments the system refuses are a clear failure", async () => {
  const { ctx } = fakeContext({ command: "echo", args: ["a\u0000b"] });
  const err = await failureOf(command(ctx));
  expect(err.message).toMatch(/^cannot start "echo": .*null bytes/);
});

test("command: output capture is bounded", async () => {
  const capped = createCommandExecutor({ killGraceMs: 300, maxCaptureLines: 3 });
  const { ctx, lines, progress } = fakeContext({
    command: "sh",
    args: ["-c", `for i in 1 2 3 4 5 6; do echo line$i; done; echo '::jobgraph {"processed":6}'`],
  });
  await capped(ctx);
  expect(lines("stdout")).toEqual(["line1", "line2", "line3"]);
  expect(lines("system").at(-1)).toBe("3 output lines were not captured");
  expect(progress).toEqual([{ processed: 6 }]); // protocol lines still count past the limit
});

test("command: already-aborted signal does not spawn", async () => {
  const { ctx, controller } = fakeContext({ command: "sh", args: ["-c", "exit 0"] });
  controller.abort("shutdown");
  expect((await failureOf(command(ctx))).message).toBe("aborted: shutdown");
});

test("command: an over-long line is truncated in the log", async () => {
  const { ctx, lines } = fakeContext({ command: process.execPath, args: ["-e", `console.log("x".repeat(20000)); console.log("ok")`] });
  await command(ctx);
  const out = lines("stdout");
  expect(out[0]!.length).toBeLessThan(9000);
  expect(out[1]).toBe("ok");
});

// ---- HTTP ------------------------------------------------------------------------------------

let server: Server;
let base: string;
const pending: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === "/echo") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ method: req.method, contentType: req.headers["content-type"] ?? null, body: body ? JSON.parse(body) : null }));
      } else if (req.url === "/text") {
        res.setHeader("content-type", "text/plain");
        res.end("plain text");
      } else if (req.url === "/fail") {
        res.statusCode = 503;
        res.end("upstream down ".repeat(100));
      } else if (req.url === "/hang") {
        pending.push(req); // never answered: the client must abort
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const http = createHttpExecutor();

test("http: params become the JSON body and the JSON response is the result", async () => {
  const { ctx, lines } = fakeContext({ url: `${base}/echo` }, { day: "2024-01-02", n: 1 });
  const outcome = await http(ctx);
  expect(outcome.result).toEqual({ method: "POST", contentType: "application/json", body: { day: "2024-01-02", n: 1 } });
  expect(lines("system")[0]).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/echo → 200/);
});

test("http: GET sends no body; non-JSON result is status + text", async () => {
  const get = fakeContext({ url: `${base}/echo`, method: "GET" }, { ignored: true });
  expect((await http(get.ctx)).result).toEqual({ method: "GET", contentType: null, body: null });
  const text = fakeContext({ url: `${base}/text`, method: "GET" });
  expect((await http(text.ctx)).result).toEqual({ status: 200, body: "plain text" });
});

test("http: explicit body wins over params", async () => {
  const { ctx } = fakeContext({ url: `${base}/echo`, method: "PUT", body: { fixed: 1 } }, { p: 2 });
  expect((await http(ctx)).result).toMatchObject({ method: "PUT", body: { fixed: 1 } });
});

test("http: unexpected status fails with the start of the body", async () => {
  const { ctx } = fakeContext({ url: `${base}/fail` });
  const err = await failureOf(http(ctx));
  expect(err.message.startsWith("HTTP 503: upstream down")).toBe(true);
  expect(err.message.length).toBeLessThan(520);
  const accepted = fakeContext({ url: `${base}/fail`, expectStatus: [500, 599] });
  expect((await http(accepted.ctx)).result).toMatchObject({ status: 503 });
});

test("http: abort ends a hanging request", async () => {
  const { ctx, controller } = fakeContext({ url: `${base}/hang` });
  const run = http(ctx);
  await waitFor(() => pending.length > 0);
  controller.abort("cancelled");
  expect((await failureOf(run)).message).toBe("aborted: cancelled");
});

test("http: connection refused is a failure", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const { ctx } = fakeContext({ url: `http://127.0.0.1:${port}/` });
  expect((await failureOf(http(ctx))).message).toMatch(/failed: .*ECONNREFUSED/);
});

// ---- HANDLER ---------------------------------------------------------------------------------

const handler = createHandlerExecutor(createDefaultHandlerRegistry());

test("handler: demo.sleep resolves and aborts promptly", async () => {
  const ok = fakeContext({ handler: "demo.sleep" }, { ms: 10 });
  expect(await handler(ok.ctx)).toEqual({ result: { sleptMs: 10 } });

  const long = fakeContext({ handler: "demo.sleep" }, { ms: 60_000 });
  const run = handler(long.ctx);
  setTimeout(() => long.controller.abort("cancelled"), 20);
  expect((await failureOf(run)).message).toBe("aborted: cancelled");
});

test("handler: demo.countdown reports each step", async () => {
  const { ctx, progress } = fakeContext({ handler: "demo.countdown" }, { steps: 3, stepMs: 5 });
  expect(await handler(ctx)).toEqual({ result: { steps: 3 } });
  expect(progress).toEqual([1, 2, 3].map((i) => ({
    progress: i / 3,
    message: `step ${i} of 3`,
    processed: i,
    total: 3,
    currentItem: `step-${i}`,
  })));

  const aborted = fakeContext({ handler: "demo.countdown" }, { steps: 100, stepMs: 1000 });
  const run = handler(aborted.ctx);
  setTimeout(() => aborted.controller.abort("stop"), 20);
  expect((await failureOf(run)).message).toBe("aborted: stop");
  expect(aborted.progress).toEqual([]);
});

test("handler: demo.fail, unknown handler and bad params", async () => {
  expect((await failureOf(handler(fakeContext({ handler: "demo.fail" }).ctx))).message).toBe("demo.fail always fails");
  expect((await failureOf(handler(fakeContext({ handler: "demo.fail" }, { message: "boom" }).ctx))).message).toBe("boom");

  const unknown = await failureOf(handler(fakeContext({ handler: "nope" }).ctx));
  expect(unknown.message).toBe('unknown handler "nope"; known: demo.countdown, demo.fail, demo.sleep');

  const bad = await failureOf(handler(fakeContext({ handler: "demo.sleep" }, { ms: "soon" }).ctx));
  expect(bad.message).toMatch(/^invalid params for demo\.sleep: .*ms/s);
  const missing = await failureOf(handler(fakeContext({ handler: "demo.sleep" }).ctx));
  expect(missing.message).toMatch(/invalid params for demo\.sleep/);
  const negative = await failureOf(handler(fakeContext({ handler: "demo.countdown" }, { steps: -1 }).ctx));
  expect(negative.message).toMatch(/invalid params for demo\.countdown: .*steps/s);
});
