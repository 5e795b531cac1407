// npm run bench:schedule — the schedule fire path under load, with real service processes
// (`node src/main.ts start`, as in production) on scratch PostgreSQL databases:
//   one      1,000 tasks on `* * * * * *`, one instance, 30 s: missed, duplicates, lateness
//            scheduledAt → RUNNING, /ready answering throughout;
//   scale    10,000 tasks on `* * * * *`, one instance: start-up to /ready, RSS, one minute's
//            10,000 fires and how long until all started;
//   cluster  3 instances on one database, 100 one-second tasks (80 intervalSeconds: 1, 20
//            `* * * * * *`), 60 s: fires recorded, duplicates, missed, started within 2 s,
//            lateness p50/p99.
// Tasks are seeded with SQL before the services start (10,000 createTask calls would measure the
// API, not the scheduler), their first fire a few seconds after the services are up. Every run
// is `demo.sleep {ms: 0}`. Arguments pick scenarios (default: all three); BENCH_CONCURRENCY sets
// JOBGRAPH_CONCURRENCY of each instance (default 10; `one` runs twice unless it is set: at 1,000,
// so the instance may start a second's fires together, and at 10, where the burst waits for slots
// and its lateness is the drain rate's); BENCH_NODE_ARGS adds node flags to the services (a
// profile). Traffic stays on 127.0.0.1; every
// process and database it makes is gone when it ends.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrateDatabase, ROOT } from "../src/app.ts";
import { openDatabase } from "../src/db/database.ts";
import { createPostgresDatabase } from "../test/helpers/database.ts";
import { report, summarize } from "./report.ts";

const BASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const CONCURRENCY = process.env.BENCH_CONCURRENCY ?? "10";
/** `one`'s instance concurrencies: the burst's own size (every fire of a second may start at
 *  once: the lateness is the fire path's and the claim's) and the default (1,000 runs through 10
 *  slots: the lateness is how fast the instance drains them) */
const ONE_CONCURRENCIES = process.env.BENCH_CONCURRENCY ? [process.env.BENCH_CONCURRENCY] : ["1000", "10"];
/** extra node flags for the services, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" */
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
const SECRET = "bench-secret-bench-secret-bench-secret!";

interface Service {
  proc: ChildProcess;
  url: string;
  /** spawn → first 200 from /ready */
  readyMs: number;
  rssMb(): number;
  stop(): Promise<void>;
}

async function startService(databaseUrl: string, concurrency = CONCURRENCY): Promise<Service> {
  const spawned = performance.now();
  const proc = spawn(process.execPath, [...NODE_ARGS, "--import", "tsx", "src/main.ts", "start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      JOBGRAPH_JWT_SECRET: SECRET,
      JOBGRAPH_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "jobgraph-bench-schedule-")),
      JOBGRAPH_DEMO: "0",
      JOBGRAPH_CONCURRENCY: concurrency,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer: string | null = "";
    proc.stdout!.on("data", (d) => {
      if (buffer === null) return; // listening: the rest of the log is not needed
      buffer += d;
      const m = /"url":"(http:[^"]+)"/.exec(buffer);
      if (m) {
        buffer = null;
        resolve(m[1]!);
      }
    });
    proc.once("exit", (code) => reject(new Error(`service exited (${code}) before listening: ${stderr}`)));
  });
  const base = new URL(url).origin;
  while ((await probe(base)).status !== 200) await sleep(20);
  return {
    proc,
    url: base,
    readyMs: performance.now() - spawned,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0) / 1024,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function probe(base: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

/** /ready every 250 ms until stopped: how many answers were not 200 (or came later than 2 s) */
function watchReady(services: Service[]) {
  let stop = false;
  const latencies: number[] = [];
  let failures = 0;
  const loops = services.map(async (s) => {
    while (!stop) {
      const r = await probe(s.url);
      latencies.push(r.ms);
      if (r.status !== 200) failures++;
      await sleep(250);
    }
  });
  return {
    async end() {
      stop = true;
      await Promise.all(loops);
      return { probes: latencies.length, failures, latencies };
    },
  };
}

/** RSS of the service every 500 ms until stopped; the peak */
function watchRss(s: Service) {
  let peak = s.rssMb();
  const timer = setInterval(() => (peak = Math.max(peak, s.rssMb())), 500);
  return () => {
    clearInterval(timer);
    return Math.max(peak, s.rssMb());
  };
}

/** For each nominal time of the window: how long after it the last of its `perSlot` fires was
 *  visible in the database (polled every 100 ms: the figure is the fire path's alone, before any
 *  runner got to the runs). `done` waits until every slot was seen complete, or `deadline`. */
function watchWrites(db: Awaited<ReturnType<typeof seededDatabase>>["db"], perSlot: number, from: Date, to: Date, slotMs: number) {
  let stop = false;
  const lags = new Map<number, number>();
  const slots = Math.round((to.getTime() - from.getTime()) / slotMs);
  const loop = (async () => {
    while (!stop && lags.size < slots) {
      const rows = await db.prisma.$queryRaw<{ at: Date; n: number }[]>`
        SELECT "scheduledAt" AS at, count(*)::int AS n FROM "Execution"
        WHERE trigger IN ('SCHEDULE', 'CATCH_UP') AND "scheduledAt" >= ${from} AND "scheduledAt" < ${to}
        GROUP BY 1`;
      const seen = Date.now();
      for (const r of rows) if (r.n >= perSlot && !lags.has(r.at.getTime())) lags.set(r.at.getTime(), seen - r.at.getTime());
      await sleep(100);
    }
  })();
  return {
    async done(deadline: number) {
      while (lags.size < slots && Date.now() < deadline) await sleep(100);
      stop = true;
      await loop;
      return { lags: [...lags.values()], slots };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

/** A scratch database, migrated, with `n` scheduled handler tasks whose first fire is `firstAt`. */
async function seededDatabase(tasks: { cron?: string; intervalSeconds?: number }[], firstAt: Date) {
  const { url, drop } = await createPostgresDatabase(BASE_URL, "jobgraph_bench_schedule");
  const db = await openDatabase({ url, poolSize: 2 });
  await migrateDatabase(db);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Task" (name, kind, config, cron, "intervalSeconds", timezone, "nextRunAt", "updatedAt")
     SELECT 'bench-' || s.i, 'HANDLER', '{"handler":"demo.sleep","defaults":{"ms":0}}'::jsonb, s.cron, s.every, 'UTC', $2::timestamptz, now()
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (cron text, every int)) WITH ORDINALITY AS s(cron, every, i)`,
    JSON.stringify(tasks.map((t) => ({ cron: t.cron ?? null, every: t.intervalSeconds ?? null }))),
    firstAt,
  );
  return { url, db, drop };
}

interface FireRow {
  taskId: number;
  scheduledAt: Date;
  startedAt: Date | null;
  status: string;
}

/** Once every fire of the window is due (the last at `lastDue`) and none is PENDING (or `drainMs` passed), stops new
 *  fires (the fire statement's fence sees the scheduler paused; no task row is touched, so
 *  nothing here contends with the claims) — not sooner: fires are written ahead, and one not yet
 *  started when the pause comes is SKIPPED — then waits until the window's runs are final (or the
 *  deadline) and reads every fire of the window. */
async function collect(db: Awaited<ReturnType<typeof seededDatabase>>["db"], from: Date, to: Date, lastDue: Date, drainMs: number): Promise<FireRow[]> {
  const deadline = Date.now() + drainMs;
  const left = async (statuses: string[]) =>
    (await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Execution" WHERE status::text = ANY(${statuses}) AND "scheduledAt" >= ${from} AND "scheduledAt" < ${to}`)[0]!.n;
  await sleepUntil(lastDue.getTime());
  while (Date.now() < deadline && (await left(["PENDING"])) > 0) await sleep(100);
  await db.prisma.$executeRaw`INSERT INTO "SchedulerState" (id, paused, "updatedAt") VALUES (1, true, now()) ON CONFLICT (id) DO UPDATE SET paused = true`;
  while (Date.now() < deadline && (await left(["PENDING", "RUNNING"])) > 0) await sleep(250);
  return db.prisma.$queryRaw<FireRow[]>`
    SELECT "taskId", "scheduledAt", "startedAt", status::text AS status FROM "Execution"
    WHERE trigger IN ('SCHEDULE', 'CATCH_UP') AND "scheduledAt" >= ${from} AND "scheduledAt" < ${to}`;
}

/** Fires recorded vs expected (every task at every nominal time of the window), and lateness. */
function analyse(rows: FireRow[], expected: number, withinMs: number) {
  const keys = new Set(rows.map((r) => `${r.taskId}@${r.scheduledAt.getTime()}`));
  const late = rows.filter((r) => r.startedAt).map((r) => r.startedAt!.getTime() - r.scheduledAt.getTime());
  // what the runner managed: runs started in each whole second from the first start to the last
  const starts = rows.filter((r) => r.startedAt).map((r) => Math.floor(r.startedAt!.getTime() / 1000));
  const perSecond = new Map<number, number>();
  for (const s of starts) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  const seconds = starts.length ? Array.from({ length: Math.max(...starts) - Math.min(...starts) + 1 }, (_, i) => perSecond.get(Math.min(...starts) + i) ?? 0) : [];
  return {
    startedPerSecond: seconds,
    recorded: rows.length,
    expected,
    duplicates: rows.length - keys.size,
    missed: expected - keys.size,
    started: late.length,
    skipped: rows.filter((r) => r.status === "SKIPPED").length,
    notStarted: rows.filter((r) => !r.startedAt && r.status !== "SKIPPED").length,
    /** the statuses of those not started, e.g. "PENDING 3" */
    notStartedBy: [...rows.filter((r) => !r.startedAt && r.status !== "SKIPPED").reduce((m, r) => m.set(r.status, (m.get(r.status) ?? 0) + 1), new Map<string, number>())].map(([s, n]) => `${s} ${n}`).join(", "),
    withinPct: (100 * late.filter((ms) => ms <= withinMs).length) / Math.max(1, expected),
    late,
  };
}

function print(title: string, figures: Record<string, string | number>) {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(36)} ${v}`);
}

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN;
};

/** the first whole `unitMs` boundary at least `leadMs` from now */
const boundaryAfter = (leadMs: number, unitMs: number) => new Date(Math.ceil((Date.now() + leadMs) / unitMs) * unitMs);

async function scenarioOne() {
  const figures = [];
  for (const concurrency of ONE_CONCURRENCIES) figures.push(await oneAt(concurrency));
  return figures;
}

async function oneAt(concurrency: string) {
  const TASKS = 1000;
  const SECONDS = 30;
  const first = boundaryAfter(15_000, 1000);
  const seeded = await seededDatabase(Array.from({ length: TASKS }, () => ({ cron: "* * * * * *" })), first);
  const service = await startService(seeded.url, concurrency);
  try {
    const ready = watchReady([service]);
    const peakRss = watchRss(service);
    const end = new Date(first.getTime() + SECONDS * 1000);
    const writes = watchWrites(seeded.db, TASKS, first, end, 1000);
    // the window's last tick written (or 10 s on); fires stop once its runs were all claimed (collect)
    const written = await writes.done(end.getTime() + 10_000);
    const rows = await collect(seeded.db, first, end, new Date(end.getTime() - 1000), 15_000);
    const probes = await ready.end();
    const a = analyse(rows, TASKS * SECONDS, 100);
    print(`one instance, ${TASKS} tasks on "* * * * * *", ${SECONDS} s (concurrency ${concurrency})`, {
      "start-up to /ready": `${fmt(service.readyMs)} ms`,
      "fires expected / recorded": `${a.expected} / ${a.recorded}`,
      "missed / duplicates": `${a.missed} / ${a.duplicates}`,
      "a second's 1,000 fires written after": `p50 ${fmt(pct(written.lags, 0.5))} / max ${fmt(pct(written.lags, 1))} ms (${written.lags.length} of ${written.slots} seconds seen complete)`,
      "started / skipped / not started": `${a.started} / ${a.skipped} / ${a.notStarted}${a.notStartedBy ? ` (${a.notStartedBy})` : ""} (after a 15 s drain)`,
      "lateness → RUNNING p50 / p99 / max": `${fmt(pct(a.late, 0.5))} / ${fmt(pct(a.late, 0.99))} / ${fmt(pct(a.late, 1))} ms`,
      "started within 100 ms": `${fmt(a.withinPct)} %`,
      "runs started per second p50 / max": `${fmt(pct(a.startedPerSecond, 0.5))} / ${fmt(pct(a.startedPerSecond, 1))} (1,000 are due each second)`,
      "/ready probes, failed, p99": `${probes.probes}, ${probes.failures}, ${fmt(pct(probes.latencies, 0.99))} ms`,
      "peak RSS": `${fmt(peakRss())} MB`,
    });
    return summarize(`one: 1,000 × 1 s at concurrency ${concurrency}, lateness → RUNNING`, "ms", a.late);
  } finally {
    await service.stop();
    await seeded.db.close();
    await seeded.drop();
  }
}

async function scenarioScale() {
  const TASKS = 10_000;
  // the minute that fires: far enough ahead that start-up is over, so the fires are on time
  const first = boundaryAfter(25_000, 60_000);
  const seeded = await seededDatabase(Array.from({ length: TASKS }, () => ({ cron: "* * * * *" })), first);
  const service = await startService(seeded.url);
  try {
    const rssAtReady = service.rssMb();
    const peakRss = watchRss(service);
    const ready = watchReady([service]);
    const end = new Date(first.getTime() + 60_000);
    const writes = watchWrites(seeded.db, TASKS, first, end, 60_000);
    const written = await writes.done(first.getTime() + 55_000);
    // the scheduler is paused (no more fires) before the next minute would fire
    await sleepUntil(first.getTime() + 55_000);
    const rows = await collect(seeded.db, first, end, first, 30_000);
    const probes = await ready.end();
    const a = analyse(rows, TASKS, 5000);
    print(`one instance, ${TASKS} tasks on "* * * * *" (concurrency ${CONCURRENCY})`, {
      "start-up to /ready": `${fmt(service.readyMs)} ms`,
      "RSS at /ready / peak": `${fmt(rssAtReady)} / ${fmt(peakRss())} MB`,
      "fires expected / recorded": `${a.expected} / ${a.recorded}`,
      "missed / duplicates": `${a.missed} / ${a.duplicates}`,
      "the minute's 10,000 fires written after": written.lags.length ? `${fmt(written.lags[0]!)} ms` : "not within 55 s",
      "started / skipped / not started": `${a.started} / ${a.skipped} / ${a.notStarted}${a.notStartedBy ? ` (${a.notStartedBy})` : ""} (85 s after the fire time)`,
      "all started after": `${fmt(pct(a.late, 1))} ms (p50 ${fmt(pct(a.late, 0.5))} ms)`,
      "started within 5 s": `${fmt(a.withinPct)} %`,
      "runs started per second p50 / max": `${fmt(pct(a.startedPerSecond, 0.5))} / ${fmt(pct(a.startedPerSecond, 1))} (all in 5 s needs 2,000)`,
      "/ready probes, failed, p99": `${probes.probes}, ${probes.failures}, ${fmt(pct(probes.latencies, 0.99))} ms`,
    });
    return [summarize("scale: 10,000 minute crons, lateness → RUNNING", "ms", a.late)];
  } finally {
    await service.stop();
    await seeded.db.close();
    await seeded.drop();
  }
}

async function scenarioCluster() {
  const INSTANCES = 3;
  const SECONDS = 60;
  const tasks = [...Array.from({ length: 80 }, () => ({ intervalSeconds: 1 })), ...Array.from({ length: 20 }, () => ({ cron: "* * * * * *" }))];
  const first = boundaryAfter(25_000, 1000);
  const seeded = await seededDatabase(tasks, first);
  const services = await Promise.all(Array.from({ length: INSTANCES }, () => startService(seeded.url)));
  try {
    const ready = watchReady(services);
    const end = new Date(first.getTime() + SECONDS * 1000);
    const writes = watchWrites(seeded.db, tasks.length, first, end, 1000);
    const written = await writes.done(end.getTime() + 10_000);
    const rows = await collect(seeded.db, first, end, new Date(end.getTime() - 1000), 15_000);
    const probes = await ready.end();
    const a = analyse(rows, tasks.length * SECONDS, 2000);
    print(`${INSTANCES} instances, one database, ${tasks.length} one-second tasks (80 interval, 20 cron), ${SECONDS} s (concurrency ${CONCURRENCY} each)`, {
      "start-up to /ready (each)": services.map((s) => `${fmt(s.readyMs)} ms`).join(", "),
      "fires expected / recorded": `${a.expected} / ${a.recorded}`,
      "missed / duplicates": `${a.missed} / ${a.duplicates}`,
      "a second's 100 fires written after": `p50 ${fmt(pct(written.lags, 0.5))} / max ${fmt(pct(written.lags, 1))} ms (${written.lags.length} of ${written.slots} seconds seen complete)`,
      "started / skipped / not started": `${a.started} / ${a.skipped} / ${a.notStarted}${a.notStartedBy ? ` (${a.notStartedBy})` : ""}`,
      "started within 2 s": `${fmt(a.withinPct)} %`,
      "lateness → RUNNING p50 / p99 / max": `${fmt(pct(a.late, 0.5))} / ${fmt(pct(a.late, 0.99))} / ${fmt(pct(a.late, 1))} ms`,
      "/ready probes, failed, p99": `${probes.probes}, ${probes.failures}, ${fmt(pct(probes.latencies, 0.99))} ms`,
    });
    return [summarize("cluster: 3 × 100 × 1 s, lateness → RUNNING", "ms", a.late)];
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await seeded.db.close();
    await seeded.drop();
  }
}

const scenarios = { one: scenarioOne, scale: scenarioScale, cluster: scenarioCluster };
const chosen = process.argv.slice(2).filter((a) => a in scenarios) as (keyof typeof scenarios)[];
const figures = [];
for (const name of chosen.length ? chosen : (Object.keys(scenarios) as (keyof typeof scenarios)[])) figures.push(...(await scenarios[name]()));
report("schedule", figures, { backend: "postgres", concurrency: process.env.BENCH_CONCURRENCY ?? "10 (one: 1000 and 10)", node: process.version, cores: os.cpus().length });
