// npm run bench — the engine's speed, through the real API:
//  1. manual trigger → RUNNING latency: POST triggerTask, then the execution's startedAt
//     (same machine, same clock), one trigger at a time, demo.sleep 0 ms;
//  2. throughput end to end: a burst of demo.sleep 0 ms runs triggered over HTTP (8 requests in
//     flight, client and server in this one process), until all are final;
//  3. the engine alone: BENCH_BURST PENDING runs inserted at once, until the runner drained them.
// Backend: PostgreSQL when DATABASE_URL is set (a fresh database is created beside it and
// dropped), else embedded PGlite in memory. BENCH_TRIGGERS / BENCH_BURST size the runs.
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import type { DatabaseTarget } from "../src/db/database.ts";
import { createPostgresDatabase } from "../test/helpers/database.ts";
import { benchSettings, report, summarize } from "./report.ts";

const TRIGGERS = Number(process.env.BENCH_TRIGGERS ?? 300);
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const CONCURRENCY = Number(process.env.JOBGRAPH_CONCURRENCY ?? 10);

async function database(): Promise<{ target: DatabaseTarget; label: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { target: { pgliteDir: "memory://" }, label: "pglite", drop: async () => {} };
  const { url, drop } = await createPostgresDatabase(base, "jobgraph_bench");
  return { target: { url, poolSize: CONCURRENCY + 10 }, label: "postgres", drop };
}

const db = await database();
const config = { ...loadConfig({}), ...benchSettings("jobgraph-bench", CONCURRENCY) };
const app = await createApp({ config, database: db.target });
try {
  const token = await app.tokens.mint({ sub: "bench", role: "admin" });
  const gql = async (query: string, variables?: object) => {
    const res = await fetch(app.http!.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const task = (await gql(`mutation { createTask(input: { name: "bench", kind: HANDLER, config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: ALLOW }) { id } }`)).createTask.id;
  const { prisma } = app.db;
  const decode = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

  // 1. latency, one at a time (warm up first)
  const latencies: number[] = [];
  for (let i = 0; i < TRIGGERS + 20; i++) {
    const sent = Date.now();
    const id = decode((await gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: task })).triggerTask.id);
    let row = await prisma.execution.findUnique({ where: { id } });
    while (!row?.startedAt) {
      await new Promise((r) => setImmediate(r));
      row = await prisma.execution.findUnique({ where: { id } });
    }
    if (i >= 20) latencies.push(row.startedAt.getTime() - sent);
    while (!["SUCCEEDED", "FAILED"].includes(row!.status)) {
      await new Promise((r) => setTimeout(r, 1));
      row = await prisma.execution.findUnique({ where: { id } });
    }
  }

  // 2. throughput: trigger a burst (8 requests in flight), wait until every run is final
  const before = await prisma.execution.count({ where: { status: "SUCCEEDED" } });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < BURST) {
        next++;
        await gql(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: task });
      }
    }),
  );
  const triggeredIn = performance.now() - t0;
  for (;;) {
    const done = (await prisma.execution.count({ where: { status: "SUCCEEDED" } })) - before;
    if (done >= BURST) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  const runs = await prisma.execution.findMany({ where: { startedAt: { not: null } }, orderBy: { id: "desc" }, take: BURST, select: { startedAt: true, finishedAt: true } });
  const runMs = runs.map((r) => r.finishedAt!.getTime() - r.startedAt!.getTime());

  // 3. the engine alone: a backlog of PENDING runs written at once, drained by the runner
  const taskId = decode(task);
  const backlogStart = await prisma.execution.count({ where: { status: "SUCCEEDED" } });
  const now = new Date();
  await prisma.execution.createMany({ data: Array.from({ length: BURST }, () => ({ taskId, trigger: "MANUAL" as const, manual: true, scheduledAt: now, runAfter: now })) });
  const d0 = performance.now();
  app.engine.wakeRunner();
  for (;;) {
    const done = (await prisma.execution.count({ where: { status: "SUCCEEDED" } })) - backlogStart;
    if (done >= BURST) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainSeconds = (performance.now() - d0) / 1000;

  report(
    `engine-${db.label}`,
    [
      summarize("trigger → RUNNING latency", "ms", latencies),
      summarize("executions per second (burst)", "ms per run", runMs, BURST / seconds),
      summarize("executions per second (drain)", "s", [drainSeconds], BURST / drainSeconds),
    ],
    { backend: db.label, triggers: TRIGGERS, burst: BURST, concurrency: CONCURRENCY, triggerPhaseMs: triggeredIn.toFixed(0), node: process.version },
  );
} finally {
  await app.stop();
  await db.drop();
}
