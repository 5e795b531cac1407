// npm run bench:peers — jobgraph beside graphile-worker 0.17.3, interleaved in ONE invocation on
// the same PostgreSQL (a scratch database per measurement, dropped afterwards), ROUNDS rounds,
// alternating which goes first. Other load on the machine hits both alike, so the same-run ratio
// is the figure that counts. Measured:
//  - drain: PEERS_DRAIN no-op runs queued up front, concurrency 10, until all are done (jobgraph
//    keeps every run in history; graphile-worker deletes its jobs), with CPU ms per run in Node
//    (process.cpuUsage) and in PostgreSQL (/proc/<pid>/stat of the database's backends), and the
//    statements sent per run, counted at the driver (pg's Client.query: one round trip each);
//  - latency: PEERS_TRIGGERS triggers 10 ms apart, sent from a client process of their own
//    (bench/trigger-client.ts) — jobgraph through GraphQL triggerTask over HTTP until RUNNING
//    (startedAt), graphile-worker addJob until its task function starts — after PEERS_WARMUP
//    triggers of each, 10 ms apart as well, that are not counted: the first half second of a
//    fresh instance opens its pool's connections and compiles its hot code (jobgraph's slowest
//    triggers were all there: p99 29 ms over all, 23 ms after the first second), which a
//    deployed service did long before;
//  - burst: PEERS_BURSTS times, PEERS_BURST no-op runs all due at one instant (what 1,000
//    one-second crons make each second), added at that instant in one statement — jobgraph's
//    runs inserted and its runner woken, as its fire path does; graphile-worker's addJobs, as its
//    crontab does — lateness from the due instant until each run started, concurrency 10;
//  - jobgraph on embedded PGlite: a drain of PEERS_PGLITE_DRAIN runs.
// JOBGRAPH_ROOT=/path/to/another/checkout measures that checkout's jobgraph instead (a "before").
// PEERS_ONLY=jobgraph skips graphile-worker (with JOBGRAPH_ROOT, for the before figures).
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Logger, makeWorkerUtils, run as runWorker, runMigrations, type Task, type TaskList, type WorkerUtils } from "graphile-worker";
import { createPostgresDatabase } from "../test/helpers/database.ts";
import { benchSettings } from "./report.ts";
import type { Order, Reply } from "./trigger-client.ts";

const BASE = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const ROUNDS = Number(process.env.PEERS_ROUNDS ?? 3);
const DRAIN = Number(process.env.PEERS_DRAIN ?? 20_000);
const TRIGGERS = Number(process.env.PEERS_TRIGGERS ?? 500);
const WARMUP = Number(process.env.PEERS_WARMUP ?? 50);
const PGLITE_DRAIN = Number(process.env.PEERS_PGLITE_DRAIN ?? 5_000);
const BURST = Number(process.env.PEERS_BURST ?? 1_000);
const BURSTS = Number(process.env.PEERS_BURSTS ?? 5);
const CONCURRENCY = 10;
const GAP_MS = 10;
const ONLY_JOBGRAPH = process.env.PEERS_ONLY === "jobgraph";
const ROOT = process.env.JOBGRAPH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// the jobgraph under test (this checkout, or JOBGRAPH_ROOT's)
const { createApp } = (await import(path.join(ROOT, "src/app.ts"))) as typeof import("../src/app.ts");
const { loadConfig } = (await import(path.join(ROOT, "src/config.ts"))) as typeof import("../src/config.ts");

// ── counting at the driver ─────────────────────────────────────────────────────────────────────
let statements = 0;
const uncounted = new WeakSet<object>();
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (!uncounted.has(this)) statements++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof originalQuery;

async function adminClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  uncounted.add(c);
  await c.connect();
  return c;
}

/** CPU (ms) used so far by the backends of database `name` (this machine's PostgreSQL) */
async function backendCpu(admin: pg.Client, name: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
  const tick = 1000 / 100; // USER_HZ
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const cpuDelta = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((s, [pid, ms]) => s + ms - (before.get(pid) ?? 0), 0);

/** runs one order in a trigger-client process of its own; its reply when it is done */
async function fromClientProcess(order: Order): Promise<Reply> {
  const child = fork(fileURLToPath(new URL("./trigger-client.ts", import.meta.url)), { stdio: "inherit" });
  const reply = new Promise<Reply>((resolve, reject) => {
    child.once("message", (r: Reply) => resolve(r));
    child.once("exit", (code) => reject(new Error(`trigger client exited with ${code}`)));
  });
  child.send(order);
  return reply;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Both peers' tables are analyzed right after their bulk load, as autovacuum would have them a
// minute later (PGlite has no autovacuum: there it is the only ANALYZE). Planned without
// statistics, both peers' statements get plans made for an empty table: that would measure the
// planner's first guess, not the engine.

interface Drain {
  perSecond: number;
  nodeMs: number;
  pgMs: number;
  statements: number;
}

const appConfig = () => ({ ...loadConfig({}), ...benchSettings("jobgraph-peers", CONCURRENCY) });

// ── jobgraph ───────────────────────────────────────────────────────────────────────────────────
type Prisma = Awaited<ReturnType<typeof createApp>>["db"]["prisma"];

/** the no-op task every jobgraph measurement runs (ALLOW: its runs never wait for each other) */
const noopTask = (prisma: Prisma) =>
  prisma.task.create({ data: { name: "noop", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: "ALLOW" } });

/** `n` runs of the task due at `at`, in one statement (as the fire path writes a tick's fires) */
async function queueRuns(prisma: Prisma, taskId: number, n: number, at: Date): Promise<void> {
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Execution" ("taskId", trigger, manual, "scheduledAt", "runAfter", "updatedAt")
     SELECT $1, 'MANUAL', true, $2, $2, $2 FROM generate_series(1, ${n})`,
    taskId,
    at,
  );
}

async function jobgraphDrain(n: number, pglite = false): Promise<Drain> {
  const db = pglite ? null : await createPostgresDatabase(BASE, "jobgraph_peers");
  const app = await createApp({ config: appConfig(), database: db ? { url: db.url, poolSize: CONCURRENCY + 10 } : { pgliteDir: "memory://" }, http: false });
  const name = db ? new URL(db.url).pathname.slice(1) : "";
  const admin = db ? await adminClient(db.url) : null;
  try {
    const { prisma } = app.db;
    const task = await noopTask(prisma);
    await queueRuns(prisma, task.id, n, new Date());
    await prisma.$executeRawUnsafe(`ANALYZE "Execution"`);
    // counted from the engine's own events (published after each commit), like graphile-worker's
    // in-process counter: polling count(*) would compete with the drain (on PGlite, for its one
    // thread); the database is asked once, at the end, that every run is there and SUCCEEDED
    let succeeded = 0;
    const off = app.services.bus.on("executionStatus", "*", (row) => {
      if (row.status === "SUCCEEDED") succeeded++;
    });
    const done = async () => succeeded >= n;
    const pgBefore = admin ? await backendCpu(admin, name) : new Map();
    const cpu0 = process.cpuUsage();
    const s0 = statements;
    const t0 = performance.now();
    app.engine.wakeRunner();
    await waitUntil(done, "jobgraph drain");
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const pgAfter = admin ? await backendCpu(admin, name) : new Map();
    off();
    const stored = await prisma.execution.count({ where: { status: "SUCCEEDED" } });
    if (stored !== n) throw new Error(`jobgraph drain: ${stored} of ${n} runs SUCCEEDED in the database`);
    return { perSecond: n / seconds, nodeMs: (cpu.user + cpu.system) / 1000 / n, pgMs: cpuDelta(pgBefore, pgAfter) / n, statements: (statements - s0) / n };
  } finally {
    await admin?.end();
    await app.stop();
    await db?.drop();
  }
}

async function jobgraphLatency(): Promise<number[]> {
  const db = await createPostgresDatabase(BASE, "jobgraph_peers");
  const app = await createApp({ config: appConfig(), database: { url: db.url, poolSize: CONCURRENCY + 10 } });
  try {
    const token = await app.tokens.mint({ sub: "bench", role: "admin" });
    const gql = async (query: string, variables?: object) => {
      const res = await fetch(app.http!.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: Record<string, { id: string }>; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data!;
    };
    const task = (await gql(`mutation { createTask(input: { name: "noop", kind: HANDLER, config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: ALLOW }) { id } }`)).createTask!.id;
    const reply = await fromClientProcess({ peer: "jobgraph", url: app.http!.url, token, task, warmup: WARMUP, triggers: TRIGGERS, gapMs: GAP_MS });
    const sent = new Map(reply.sent);
    const ids = [...sent.keys()];
    await waitUntil(async () => (await app.db.prisma.execution.count({ where: { id: { in: ids }, startedAt: { not: null } } })) === ids.length, "jobgraph runs to start");
    const rows = await app.db.prisma.execution.findMany({ where: { id: { in: ids } }, select: { id: true, startedAt: true } });
    return rows.map((r) => r.startedAt!.getTime() - sent.get(r.id)!);
  } finally {
    await app.stop();
    await db.drop();
  }
}

/** BURSTS × BURST runs due at one instant each: lateness (start − due) of every run, ms */
async function jobgraphBurst(): Promise<number[]> {
  const db = await createPostgresDatabase(BASE, "jobgraph_peers");
  const app = await createApp({ config: appConfig(), database: { url: db.url, poolSize: CONCURRENCY + 10 }, http: false });
  try {
    const { prisma } = app.db;
    const task = await noopTask(prisma);
    const late: number[] = [];
    // counted from the engine's events, as in the drain: polling the table would load the database
    let succeeded = 0;
    const off = app.services.bus.on("executionStatus", "*", (row) => {
      if (row.status === "SUCCEEDED") succeeded++;
    });
    for (let b = 0; b < BURSTS; b++) {
      const due = new Date();
      await queueRuns(prisma, task.id, BURST, due);
      app.engine.wakeRunner();
      await waitUntil(async () => succeeded >= (b + 1) * BURST, "jobgraph burst");
      const rows = await prisma.execution.findMany({ where: { runAfter: due }, select: { startedAt: true } });
      late.push(...rows.map((r) => r.startedAt!.getTime() - due.getTime()));
    }
    off();
    return late;
  } finally {
    await app.stop();
    await db.drop();
  }
}

// ── graphile-worker ────────────────────────────────────────────────────────────────────────────
const silent = new Logger(() => () => {});

/** a pool of our own for graphile-worker, ended before its database is dropped */
function graphilePool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY + 2 });
  pool.on("error", () => {});
  return pool;
}

async function graphileDrain(n: number): Promise<Drain> {
  const db = await createPostgresDatabase(BASE, "graphile_peers");
  const name = new URL(db.url).pathname.slice(1);
  const admin = await adminClient(db.url);
  const pgPool = graphilePool(db.url);
  try {
    await runMigrations({ pgPool, logger: silent });
    const utils = await makeWorkerUtils({ pgPool, logger: silent });
    for (let i = 0; i < n; i += 5000) {
      await utils.addJobs(Array.from({ length: Math.min(5000, n - i) }, () => ({ identifier: "noop", payload: {} })));
    }
    await admin.query("ANALYZE graphile_worker._private_jobs");
    await utils.release();
    let done = 0;
    const pgBefore = await backendCpu(admin, name);
    const cpu0 = process.cpuUsage();
    const s0 = statements;
    const t0 = performance.now();
    const runner = await runWorker({ pgPool, concurrency: CONCURRENCY, noHandleSignals: true, pollInterval: 2000, logger: silent, taskList: { noop: async () => void done++ } });
    await waitUntil(async () => done >= n, "graphile-worker drain");
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const pgAfter = await backendCpu(admin, name);
    const result = { perSecond: n / seconds, nodeMs: (cpu.user + cpu.system) / 1000 / n, pgMs: cpuDelta(pgBefore, pgAfter) / n, statements: (statements - s0) / n };
    await runner.stop();
    return result;
  } finally {
    await admin.end();
    await pgPool.end();
    await db.drop();
  }
}

/** a scratch database with graphile-worker running `taskList`, for `body` to add jobs to */
async function withGraphileWorker<T>(taskList: TaskList, body: (utils: WorkerUtils, url: string) => Promise<T>): Promise<T> {
  const db = await createPostgresDatabase(BASE, "graphile_peers");
  const pgPool = graphilePool(db.url);
  try {
    await runMigrations({ pgPool, logger: silent });
    const runner = await runWorker({ pgPool, concurrency: CONCURRENCY, noHandleSignals: true, pollInterval: 2000, logger: silent, taskList });
    const utils = await makeWorkerUtils({ pgPool, logger: silent });
    const result = await body(utils, db.url);
    await utils.release();
    await runner.stop();
    return result;
  } finally {
    await pgPool.end();
    await db.drop();
  }
}

async function graphileLatency(): Promise<number[]> {
  const latencies: number[] = [];
  const task: Task = async (payload) => {
    const { sent, warmup } = payload as { sent: number; warmup: boolean };
    if (!warmup) latencies.push(Date.now() - sent);
  };
  return withGraphileWorker({ lat: task }, async (_utils, url) => {
    await fromClientProcess({ peer: "graphile", connectionString: url, warmup: WARMUP, triggers: TRIGGERS, gapMs: GAP_MS });
    await waitUntil(async () => latencies.length >= TRIGGERS, "graphile-worker jobs to start");
    return latencies;
  });
}

/** the same bursts through graphile-worker: its task function notes when it began */
async function graphileBurst(): Promise<number[]> {
  const late: number[] = [];
  const task: Task = async (payload) => void late.push(Date.now() - (payload as { due: number }).due);
  return withGraphileWorker({ burst: task }, async (utils) => {
    for (let b = 0; b < BURSTS; b++) {
      const due = Date.now();
      await utils.addJobs(Array.from({ length: BURST }, () => ({ identifier: "burst", payload: { due } })));
      await waitUntil(async () => late.length >= (b + 1) * BURST, "graphile-worker burst");
    }
    return late;
  });
}

// ── report ─────────────────────────────────────────────────────────────────────────────────────
const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const f = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const range = (xs: number[]) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

function line(label: string, ours: number[], theirs: number[] | null): void {
  // jobgraph ÷ graphile-worker: above 1 is better for throughput, below 1 for costs and latency
  const ratio = theirs ? median(ours) / median(theirs) : null;
  console.log([label.padEnd(44), range(ours).padEnd(24), (theirs ? range(theirs) : "-").padEnd(24), ratio === null ? "-" : `${ratio.toFixed(2)}×`].join(" "));
}

const jg = { drain: [] as Drain[], p50: [] as number[], p99: [] as number[], burst50: [] as number[], burst99: [] as number[] };
const gw = { drain: [] as Drain[], p50: [] as number[], p99: [] as number[], burst50: [] as number[], burst99: [] as number[] };
const pglite: Drain[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? ["jobgraph", "graphile"] : ["graphile", "jobgraph"];
  for (const who of order) {
    if (who === "graphile" && ONLY_JOBGRAPH) continue;
    if (who === "jobgraph") {
      jg.drain.push(await jobgraphDrain(DRAIN));
      const lat = await jobgraphLatency();
      jg.p50.push(median(lat));
      jg.p99.push(quantile(lat, 0.99));
      const burst = await jobgraphBurst();
      jg.burst50.push(median(burst));
      jg.burst99.push(quantile(burst, 0.99));
    } else {
      gw.drain.push(await graphileDrain(DRAIN));
      const lat = await graphileLatency();
      gw.p50.push(median(lat));
      gw.p99.push(quantile(lat, 0.99));
      const burst = await graphileBurst();
      gw.burst50.push(median(burst));
      gw.burst99.push(quantile(burst, 0.99));
    }
    console.error(`round ${round}: ${who} done`);
  }
  if (PGLITE_DRAIN > 0) pglite.push(await jobgraphDrain(PGLITE_DRAIN, true));
}

const theirs = ONLY_JOBGRAPH ? null : gw;
console.log(`\nbench:peers — ${new Date().toISOString()}, ${os.cpus().length} cores, node ${process.version}, jobgraph from ${ROOT}, ${ROUNDS} rounds, medians (min–max)`);
console.log(`drain: ${DRAIN} no-op runs, concurrency ${CONCURRENCY}; latency: ${TRIGGERS} triggers ${GAP_MS} ms apart (after ${WARMUP} not counted); burst: ${BURSTS} × ${BURST} due at once; PGlite drain: ${PGLITE_DRAIN}`);
console.log(["figure".padEnd(44), "jobgraph".padEnd(24), "graphile-worker".padEnd(24), "ratio"].join(" "));
line("drain, runs/s", jg.drain.map((d) => d.perSecond), theirs?.drain.map((d) => d.perSecond) ?? null);
line("CPU per run in Node, ms", jg.drain.map((d) => d.nodeMs), theirs?.drain.map((d) => d.nodeMs) ?? null);
line("CPU per run in PostgreSQL, ms", jg.drain.map((d) => d.pgMs), theirs?.drain.map((d) => d.pgMs) ?? null);
line("CPU per run in total, ms", jg.drain.map((d) => d.nodeMs + d.pgMs), theirs?.drain.map((d) => d.nodeMs + d.pgMs) ?? null);
line("statements (round trips) per run", jg.drain.map((d) => d.statements), theirs?.drain.map((d) => d.statements) ?? null);
line("trigger → RUNNING p50, ms", jg.p50, theirs?.p50 ?? null);
line("trigger → RUNNING p99, ms", jg.p99, theirs?.p99 ?? null);
line(`burst of ${BURST}: due → started p50, ms`, jg.burst50, theirs?.burst50 ?? null);
line(`burst of ${BURST}: due → started p99, ms`, jg.burst99, theirs?.burst99 ?? null);
if (pglite.length) {
  line("PGlite drain, runs/s", pglite.map((d) => d.perSecond), null);
  line("PGlite CPU per run (Node incl. PGlite), ms", pglite.map((d) => d.nodeMs), null);
}
process.exit(0);
