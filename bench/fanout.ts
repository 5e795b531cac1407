// npm run bench:fanout — FANOUT_SUBSCRIBERS graphql-ws clients (one socket each) subscribed to
// executionEvents while FANOUT_RATE runs per second execute for FANOUT_SECONDS on PostgreSQL:
// every event delivered to every client?, event → client latency (from the time the state change
// wrote — scheduledAt of a PENDING manual run, startedAt, finishedAt — to the client's receipt;
// one process, one clock) and the process's RSS growth.
// Clients and server share this process (and its RSS and CPU).
import os from "node:os";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createPostgresDatabase } from "../test/helpers/database.ts";
import { benchSettings } from "./report.ts";

const SUBSCRIBERS = Number(process.env.FANOUT_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.FANOUT_RATE ?? 100);
const SECONDS = Number(process.env.FANOUT_SECONDS ?? 5);
const BASE = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

const db = await createPostgresDatabase(BASE, "jobgraph_fanout");
const config = { ...loadConfig({}), ...benchSettings("jobgraph-fanout", 10) };
const app = await createApp({ config, database: { url: db.url, poolSize: 20 } });
const clients: Client[] = [];
try {
  const { prisma } = app.db;
  const task = await prisma.task.create({ data: { name: "noop", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: "ALLOW" } });
  const token = await app.tokens.mint({ sub: "bench", role: "viewer" });
  const latencies: number[] = [];
  const received = new Array<number>(SUBSCRIBERS).fill(0);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const client = createClient({ url: app.http!.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    clients.push(client);
    client.subscribe<{ executionEvents: { status: string; scheduledAt: string; startedAt: string | null; finishedAt: string | null } }>(
      { query: `subscription { executionEvents { id status scheduledAt startedAt finishedAt } }` },
      {
        next: (msg) => {
          received[i]!++;
          const e = msg.data?.executionEvents;
          if (e) latencies.push(Date.now() - Date.parse(e.finishedAt ?? e.startedAt ?? e.scheduledAt));
        },
        error: (e) => console.error("subscription error", e),
        complete: () => {},
      },
    );
  }
  const deadline = Date.now() + 120_000;
  const started = Date.now();
  while (app.services.bus.subscriberCount() < SUBSCRIBERS) {
    if (Date.now() > deadline) throw new Error(`only ${app.services.bus.subscriberCount()} subscribers after ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const runs = RATE * SECONDS;
  const t0 = Date.now();
  for (let i = 0; i < runs; i++) {
    const due = t0 + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    void app.services.executions.trigger(task.id, null, false, "bench");
  }
  const expected = runs * 3; // PENDING, RUNNING, SUCCEEDED
  const until = Date.now() + 300_000;
  while (received.some((n) => n < expected) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const rss1 = process.memoryUsage().rss;
  const sorted = latencies.sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const complete = received.filter((n) => n === expected).length;
  console.log(`\nbench:fanout — ${new Date().toISOString()}, ${os.cpus().length} cores; ${SUBSCRIBERS} subscribers, ${RATE} runs/s for ${SECONDS} s (${runs} runs, ${expected} events each)`);
  console.log(`subscribers that got every event: ${complete}/${SUBSCRIBERS} (fewest: ${Math.min(...received)}, most: ${Math.max(...received)})`);
  console.log(`event → client: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1)} ms over ${sorted.length} deliveries`);
  console.log(`process RSS (server and clients): ${(rss0 / 2 ** 20).toFixed(0)} MB → ${(rss1 / 2 ** 20).toFixed(0)} MB (+${((rss1 - rss0) / 2 ** 20).toFixed(0)} MB)`);
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  await app.stop();
  await db.drop();
}
process.exit(0);
