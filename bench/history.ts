// npm run bench:history — how fast history, statistics and the scheduler status answer on a large
// PostgreSQL database, measured through the real app (HTTP → yoga → Pothos → Prisma → SQL).
//
//   BENCH_EXECUTIONS  executions to seed            (default 1,000,000)
//   BENCH_TASKS       tasks to spread them over     (default 1,000)
//   BENCH_SECONDS     time budget per query         (default 3)
//   BENCH_ITERATIONS  at most this many timed runs  (default 300)
//   DATABASE_URL      server to use (its database name is replaced by jobgraph_bench_history[_N])
//                     default postgresql://postgres@127.0.0.1:5432/test; only loopback hosts
//   BENCH_RETENTION=1 also time a retention pass (on a throw-away copy of the database): prune
//                     by age (20 days) and count (10,000 per task) while a small write (a
//                     heartbeat-like UPDATE) runs every 20 ms, to see what pruning costs the engine
//
// The database is created, migrated (migrateDatabase, like every start) and seeded with SQL
// (INSERT … SELECT generate_series: 30 days of history, a skewed spread over tasks, a realistic
// mix of statuses, triggers and durations, a few running and waiting runs), then VACUUM ANALYZE.
// It is reused when it already holds a seed of the same size, so re-runs take seconds.
// Results go to .bench/history.json; the previous run's figures are compared when present.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createApp, migrateDatabase, ROOT } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { RetentionJob } from "../src/executions/retention.ts";
import { encodeId } from "../src/graphql/ids.ts";
import { createLogger } from "../src/logging/logger.ts";

const SEED_VERSION = 1;
const DAY_MS = 24 * 3600 * 1000;
const env = process.env;
const EXECUTIONS = int("BENCH_EXECUTIONS", 1_000_000);
const TASKS = int("BENCH_TASKS", 1_000);
const SECONDS = Number(env.BENCH_SECONDS ?? 3);
const MAX_ITERATIONS = int("BENCH_ITERATIONS", 300);
const ACTIVE_RUNNING = 40;
const ACTIVE_PENDING = 200;

function int(name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v.replace(/_/g, ""));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
}

// ── the database ────────────────────────────────────────────────────────────────────────────────

const serverUrl = new URL(env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test");
if (!["127.0.0.1", "localhost", "[::1]"].includes(serverUrl.hostname)) {
  throw new Error(`bench:history only talks to a local server (DATABASE_URL host is ${serverUrl.hostname})`);
}
const dbName = EXECUTIONS === 1_000_000 && TASKS === 1_000 ? "jobgraph_bench_history" : `jobgraph_bench_history_${EXECUTIONS}_${TASKS}`;
const benchUrl = new URL(serverUrl);
benchUrl.pathname = `/${dbName}`;

interface SeedInfo {
  version: number;
  executions: number;
  tasks: number;
  /** the reference "now" of the seed: history spans the 30 days before it */
  seededAt: string;
}

async function withClient<T>(url: URL, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function prepareDatabase(): Promise<SeedInfo> {
  await withClient(serverUrl, async (c) => {
    const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [dbName]);
    if (!rowCount) await c.query(`CREATE DATABASE "${dbName}"`);
  });
  const db = await openDatabase({ url: benchUrl.toString(), poolSize: 2 });
  try {
    const report = await migrateDatabase(db);
    if (report.applied.length) console.log(`migrations applied: ${report.applied.join(", ")}`);
  } finally {
    await db.close();
  }
  return withClient(benchUrl, async (c) => {
    const { rows } = await c.query<{ comment: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()",
    );
    let info: SeedInfo | null = null;
    try {
      info = rows[0]?.comment ? (JSON.parse(rows[0].comment) as SeedInfo) : null;
    } catch {
      info = null;
    }
    if (info && info.version === SEED_VERSION && info.executions === EXECUTIONS && info.tasks === TASKS) {
      const { rows: n } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM "Execution"`);
      if (Number(n[0]!.n) === EXECUTIONS + ACTIVE_RUNNING + ACTIVE_PENDING) {
        console.log(`reusing ${dbName}: ${EXECUTIONS.toLocaleString("en")} executions over ${TASKS.toLocaleString("en")} tasks, seeded ${info.seededAt}`);
        await c.query("ANALYZE");
        return info;
      }
    }
    return seed(c);
  });
}

async function seed(c: pg.Client): Promise<SeedInfo> {
  const started = Date.now();
  const seededAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const from = new Date(seededAt.getTime() - 30 * DAY_MS);
  console.log(`seeding ${dbName}: ${TASKS.toLocaleString("en")} tasks, ${EXECUTIONS.toLocaleString("en")} executions over 30 days …`);
  await c.query(`COMMENT ON DATABASE "${dbName}" IS NULL`);
  await c.query(`TRUNCATE "Task", "Execution", "ExecutionLog", "ExecutionCount", "AuditEvent" RESTART IDENTITY CASCADE`);
  // manual-only tasks (no schedule): the app started for measuring fires nothing
  await c.query(
    `INSERT INTO "Task" (name, kind, config, enabled, paused, "maxRetries", "createdAt", "updatedAt")
     SELECT 'bench_task_' || lpad(i::text, 5, '0'), 'HANDLER', '{"handler":"demo.sleep","defaults":{"ms":10}}'::jsonb,
            i % 50 <> 0, i % 70 = 0, i % 3, $1, $1
     FROM generate_series(1, $2::int) i`,
    [from, TASKS],
  );
  // Executions in id order = time order, like a real history. Task choice is skewed
  // (task 1 ≈ 3% of all runs, the median task ≈ 0.07%), statuses ≈ 85% succeeded, 8% failed,
  // 2% timed out, 2% cancelled, 3% skipped; durations log-uniform 50 ms … 100 s times 1–5.
  const stepMs = (30 * DAY_MS) / EXECUTIONS;
  const chunk = 200_000;
  for (let lo = 1; lo <= EXECUTIONS; lo += chunk) {
    const hi = Math.min(EXECUTIONS, lo + chunk - 1);
    await c.query("SELECT setseed($1)", [(lo % 1_000_003) / 1_000_003]);
    await c.query(
      `INSERT INTO "Execution" ("taskId", status, trigger, manual, attempt, "scheduledAt", "runAfter", "startedAt",
                                "finishedAt", "durationMs", error, "triggeredBy", "logLines", "createdAt", "updatedAt")
       SELECT task, status::"ExecutionStatus", trigger::"TriggerKind", trigger = 'MANUAL', CASE WHEN trigger = 'RETRY' THEN 2 ELSE 1 END,
              scheduled, scheduled, started, finished,
              CASE WHEN started IS NULL THEN NULL ELSE duration END,
              CASE status WHEN 'FAILED' THEN 'exit code 1: connection reset by peer'
                          WHEN 'TIMED_OUT' THEN 'timed out after 300 s'
                          WHEN 'CANCELLED' THEN 'cancelled by admin'
                          WHEN 'SKIPPED' THEN 'skipped: a previous run was still running (overlap policy SKIP)' END,
              CASE WHEN trigger = 'MANUAL' THEN 'operator' END, 0, scheduled, coalesce(finished, scheduled)
       FROM (
         SELECT task, status, trigger, scheduled, duration,
                CASE WHEN status = 'SKIPPED' OR (status = 'CANCELLED' AND rd < 0.5) THEN NULL ELSE scheduled + late END AS started,
                CASE WHEN status = 'SKIPPED' OR (status = 'CANCELLED' AND rd < 0.5) THEN scheduled + late
                     ELSE scheduled + late + duration * interval '1 millisecond' END AS finished
         FROM (
           SELECT 1 + floor($3::int * power(random(), 2))::int AS task,
                  CASE WHEN rs < 0.85 THEN 'SUCCEEDED' WHEN rs < 0.93 THEN 'FAILED' WHEN rs < 0.95 THEN 'TIMED_OUT'
                       WHEN rs < 0.97 THEN 'CANCELLED' ELSE 'SKIPPED' END AS status,
                  CASE WHEN rt < 0.80 THEN 'SCHEDULE' WHEN rt < 0.92 THEN 'MANUAL' WHEN rt < 0.97 THEN 'RETRY' ELSE 'CATCH_UP' END AS trigger,
                  date_trunc('milliseconds', $4::timestamptz + (n * $5::float8) * interval '1 millisecond') AS scheduled,
                  (rl * 1500) * interval '1 millisecond' AS late,
                  rd,
                  CASE WHEN rs >= 0.93 AND rs < 0.95 THEN 300000
                       ELSE round(exp(ln(50) + rd * ln(2000)) * (1 + n % 5))::int END AS duration
           FROM (SELECT n, random() AS rs, random() AS rt, random() AS rd, random() AS rl FROM generate_series($1::int, $2::int) n) r
         ) s
       ) e
       ORDER BY scheduled`,
      [lo, hi, TASKS, from, stepMs],
    );
    process.stdout.write(`  ${hi.toLocaleString("en")} executions (${((Date.now() - started) / 1000).toFixed(0)} s)\r`);
  }
  process.stdout.write("\n");
  // what is live right now: runs in progress (leases far ahead: nobody sweeps them) and waiting
  // retries (not due: nobody claims them)
  await c.query(
    `INSERT INTO "Execution" ("taskId", status, trigger, "scheduledAt", "runAfter", "startedAt", "workerId", "heartbeatAt", "leaseExpiresAt", "createdAt", "updatedAt")
     SELECT 1 + (i * 7919) % $1::int, 'RUNNING', 'SCHEDULE', $2::timestamptz - i * interval '1 second', $2::timestamptz - i * interval '1 second',
            $2::timestamptz - i * interval '1 second', 'bench-offline-worker', $2, '2999-01-01', $2, $2
     FROM generate_series(1, $3::int) i`,
    [TASKS, seededAt, ACTIVE_RUNNING],
  );
  await c.query(
    `INSERT INTO "Execution" ("taskId", status, trigger, attempt, "scheduledAt", "runAfter", "createdAt", "updatedAt")
     SELECT 1 + (i * 104729) % $1::int, 'PENDING', 'RETRY', 2, '2999-01-01', '2999-01-01', $2, $2
     FROM generate_series(1, $3::int) i`,
    [TASKS, seededAt, ACTIVE_PENDING],
  );
  console.log("  VACUUM ANALYZE …");
  await c.query("VACUUM ANALYZE");
  const info: SeedInfo = { version: SEED_VERSION, executions: EXECUTIONS, tasks: TASKS, seededAt: seededAt.toISOString() };
  await c.query(`COMMENT ON DATABASE "${dbName}" IS '${JSON.stringify(info)}'`);
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return info;
}

// ── the queries ─────────────────────────────────────────────────────────────────────────────────

const PAGE = `totalCount edges { cursor node { id status trigger manual attempt scheduledAt startedAt finishedAt durationMs error task { id name } } } pageInfo { hasNextPage endCursor }`;
const STATS = `total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus`;

interface Case {
  name: string;
  query: string;
  variables: (i: number) => Record<string, unknown>;
}

function cases(info: SeedInfo, deepCursor: string): Case[] {
  const since = new Date(new Date(info.seededAt).getTime() - DAY_MS).toISOString();
  // "typical" tasks: the middle of the skewed spread (≈ 0.1% of the runs each); task 1 is the busiest
  const typical = (i: number) => encodeId("Task", Math.floor(TASKS / 4) + ((i * 37) % Math.max(1, Math.floor(TASKS / 2))));
  return [
    {
      name: "executions task+status, first 20",
      query: `query($f: ExecutionFilter) { executions(first: 20, filter: $f) { ${PAGE} } }`,
      variables: (i) => ({ f: { taskId: typical(i), status: i % 2 ? ["FAILED", "TIMED_OUT"] : ["FAILED"] } }),
    },
    {
      name: "executions busiest task+status, first 20",
      query: `query($f: ExecutionFilter) { executions(first: 20, filter: $f) { ${PAGE} } }`,
      variables: () => ({ f: { taskId: encodeId("Task", 1), status: ["FAILED", "TIMED_OUT"] } }),
    },
    {
      name: "executions unfiltered, first 20",
      query: `query { executions(first: 20) { ${PAGE} } }`,
      variables: () => ({}),
    },
    {
      name: "executions unfiltered, page deep in history",
      query: `query($after: String) { executions(first: 20, after: $after) { ${PAGE} } }`,
      variables: () => ({ after: deepCursor }),
    },
    {
      name: "executions status FAILED, first 20",
      query: `query($f: ExecutionFilter) { executions(first: 20, filter: $f) { ${PAGE} } }`,
      variables: () => ({ f: { status: ["FAILED"] } }),
    },
    {
      name: "executions last 24h manual, first 20",
      query: `query($f: ExecutionFilter) { executions(first: 20, filter: $f) { ${PAGE} } }`,
      variables: () => ({ f: { from: since, manual: true, trigger: ["MANUAL"] } }),
    },
    {
      name: "Task.executions status FAILED, first 20",
      query: `query($id: ID!) { task(id: $id) { name executions(first: 20, filter: { status: [FAILED] }) { ${PAGE} } } }`,
      variables: (i) => ({ id: typical(i) }),
    },
    {
      name: "Task.stats (all time)",
      query: `query($id: ID!) { task(id: $id) { name stats { ${STATS} } } }`,
      variables: (i) => ({ id: typical(i) }),
    },
    {
      name: "Task.stats busiest task (all time)",
      query: `query($id: ID!) { task(id: $id) { name stats { ${STATS} } } }`,
      variables: () => ({ id: encodeId("Task", 1) }),
    },
    {
      name: "stats all tasks, last 24h",
      query: `query($from: DateTime) { stats(from: $from) { ${STATS} } }`,
      variables: () => ({ from: since }),
    },
    {
      name: "stats all tasks, last 7 days",
      query: `query($from: DateTime) { stats(from: $from) { ${STATS} } }`,
      variables: () => ({ from: new Date(new Date(info.seededAt).getTime() - 7 * DAY_MS).toISOString() }),
    },
    {
      name: "stats all tasks, all 30 days",
      query: `query { stats { ${STATS} } }`,
      variables: () => ({}),
    },
    {
      name: "tasks(first: 50) with stats last 24h",
      query: `query($from: DateTime) { tasks(first: 50) { edges { node { name stats(from: $from) { total successRate p95DurationMs lastFinishedAt lastStatus } } } } }`,
      variables: () => ({ from: since }),
    },
    {
      name: "scheduler status",
      query: `query { scheduler { running paused instances tasks enabledTasks pausedTasks scheduledTasks runningExecutions pendingExecutions startedAt version } }`,
      variables: () => ({}),
    },
  ];
}

interface Result {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  perSecond: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

async function main() {
  const info = await prepareDatabase();
  const config = {
    ...loadConfig({}),
    databaseUrl: benchUrl.toString(),
    port: 0,
    host: "127.0.0.1",
    dataDir: path.join(os.tmpdir(), "jobgraph-bench-history"),
    jwtSecret: "bench-history-secret-that-is-long-enough",
    demo: false,
    logLevel: "silent",
    // measuring, not pruning: keep the seeded history as it is
    retentionDays: 0,
    retentionPerTask: 0,
  };
  const app = await createApp({ config, logger: createLogger("silent") });
  try {
    const token = await app.tokens.mint({ sub: "bench", role: "viewer" });
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(app.http!.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    // a real cursor two thirds down the history (20 days ago), for the "deep page" case
    const twentyDaysAgo = new Date(new Date(info.seededAt).getTime() - 20 * DAY_MS).toISOString();
    const deep = await post(`query($f: ExecutionFilter) { executions(first: 1, filter: $f) { edges { cursor } } }`, { f: { until: twentyDaysAgo } });
    const deepCursor: string = deep.executions.edges[0].cursor;

    const results: Result[] = [];
    console.log(`\n${"query".padEnd(44)} ${"runs".padStart(5)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"mean ms".padStart(8)} ${"req/s".padStart(7)}`);
    for (const c of cases(info, deepCursor)) {
      for (let i = 0; i < 3; i++) await post(c.query, c.variables(i)); // warm-up
      const times: number[] = [];
      const start = performance.now();
      for (let i = 0; times.length < MAX_ITERATIONS && (performance.now() - start < SECONDS * 1000 || times.length < 20); i++) {
        const t0 = performance.now();
        await post(c.query, c.variables(i));
        times.push(performance.now() - t0);
      }
      const total = performance.now() - start;
      const sorted = [...times].sort((a, b) => a - b);
      const r: Result = {
        name: c.name,
        runs: times.length,
        p50: round(quantile(sorted, 0.5)),
        p95: round(quantile(sorted, 0.95)),
        p99: round(quantile(sorted, 0.99)),
        mean: round(times.reduce((a, b) => a + b, 0) / times.length),
        perSecond: round((times.length * 1000) / total),
      };
      results.push(r);
      console.log(
        `${r.name.padEnd(44)} ${String(r.runs).padStart(5)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${r.mean.toFixed(1).padStart(8)} ${r.perSecond.toFixed(0).padStart(7)}`,
      );
    }
    report(results);
  } finally {
    await app.stop();
  }
  if (env.BENCH_RETENTION === "1") await retentionPass(info);
}

async function retentionPass(info: SeedInfo) {
  const copy = `${dbName}_retention`;
  await withClient(serverUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${copy}" TEMPLATE "${dbName}"`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${copy}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 4 });
  try {
    const [{ before }] = await db.prisma.$queryRaw<{ before: number }[]>`SELECT count(*)::int AS before FROM "Execution"`;
    const batchMs: number[] = [];
    let last = performance.now();
    const job = new RetentionJob(
      {
        prisma: db.prisma,
        clock: { now: () => new Date(info.seededAt) },
        logger: createLogger("silent"),
        onPruned: () => {
          const now = performance.now();
          batchMs.push(now - last);
          last = now;
        },
      },
      { retentionDays: 20, perTask: 10_000, maxLogLines: 2000 },
    );
    let probing = true;
    const probe: number[] = [];
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        await db.prisma.$executeRaw`UPDATE "Execution" SET "heartbeatAt" = now() WHERE status = 'RUNNING'`;
        probe.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = performance.now();
    last = started;
    const r = await job.runOnce();
    const ms = performance.now() - started;
    probing = false;
    await prober;
    const b = [...batchMs].sort((x, y) => x - y);
    const p = [...probe].sort((x, y) => x - y);
    console.log(
      `\nretention pass on ${before.toLocaleString("en")} executions: pruned ${r.byAge.toLocaleString("en")} by age (> 20 days) and ` +
        `${r.byCount.toLocaleString("en")} by count (> 10,000 per task) in ${(ms / 1000).toFixed(1)} s ` +
        `(${Math.round(((r.byAge + r.byCount) * 1000) / ms).toLocaleString("en")} executions/s, ${b.length} batches with 50 ms pauses)`,
    );
    console.log(`  batch time p50 ${quantile(b, 0.5).toFixed(1)} ms, p99 ${quantile(b, 0.99).toFixed(1)} ms (pause included)`);
    console.log(`  a concurrent heartbeat UPDATE: p50 ${quantile(p, 0.5).toFixed(1)} ms, p99 ${quantile(p, 0.99).toFixed(1)} ms, max ${p.at(-1)!.toFixed(1)} ms`);
  } finally {
    await db.close();
    await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`));
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

function report(results: Result[]) {
  const dir = path.join(ROOT, ".bench");
  const file = path.join(dir, "history.json");
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { at: string; executions: number; tasks: number; results: Result[] }) : null;
  if (previous && previous.executions === EXECUTIONS && previous.tasks === TASKS) {
    console.log(`\ncompared with the previous run (${previous.at}), p50 / p99:`);
    for (const r of results) {
      const p = previous.results.find((x) => x.name === r.name);
      if (!p) continue;
      const delta = (a: number, b: number) => `${b.toFixed(1)} → ${a.toFixed(1)} ms (${a >= b ? "+" : ""}${(((a - b) / Math.max(b, 0.1)) * 100).toFixed(0)}%)`;
      console.log(`  ${r.name.padEnd(44)} ${delta(r.p50, p.p50).padEnd(28)} ${delta(r.p99, p.p99)}`);
    }
  } else if (previous) {
    console.log(`\n(previous run in .bench/history.json was for another size: not compared)`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), executions: EXECUTIONS, tasks: TASKS, node: process.version, cpus: os.cpus().length, results }, null, 2) + "\n",
  );
  console.log(`\nresults saved to ${path.relative(process.cwd(), file)}`);
}

await main();
