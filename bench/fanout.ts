// npm run bench:fanout — FANOUT_SUBSCRIBERS graphql-ws clients (one socket each) subscribed to
// executionEvents while FANOUT_RATE runs per second execute for FANOUT_SECONDS on PostgreSQL:
// every event delivered to every client?, event → client latency (from the time the state change
// wrote — scheduledAt of a PENDING manual run, startedAt, finishedAt — to the client's receipt;
// one machine, one clock) and the server's RSS growth and CPU.
//
// The server runs in this process; the clients run in FANOUT_CLIENT_PROCESSES child processes
// (this same file, started with the argument "clients"), so the server's event loop, RSS and CPU
// are its own, as in a deployment where the dashboards are on other machines. Default 2: parsing
// 300,000 messages a second is more than one client process keeps up with here, and its backlog
// would be counted as the server's latency.
//
// But here the clients share the server's two cores, and whatever they spend is taken from it:
// so the default client (FANOUT_CLIENT=frames) speaks graphql-transport-ws on frame-reader.ts's
// bare sockets and parses each distinct message once per process. During 10 s of load it cost
// 3.4-4.1 s of CPU per process (in one pair of runs 3.6-3.8 s where the same protocol on `ws`
// sockets cost 4.4-4.5 s), and
// graphql-ws's own client (FANOUT_CLIENT=graphql-ws) more again (2.4-2.7 s per process in 5 s,
// its event loop late by 70-290 ms at p99; 2026-12-04). The bytes the server sends are the same
// (the tests use graphql-ws's client).
//
// Besides event → client, it prints where the time goes: on the server, from the state change to
// the event's publication on the bus, and how late the event loop runs; in the clients, how late
// theirs runs (a client waiting for a core adds to every latency it measures).
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { runInNewContext } from "node:vm";

const SUBSCRIBERS = Number(process.env.FANOUT_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.FANOUT_RATE ?? 100);
const SECONDS = Number(process.env.FANOUT_SECONDS ?? 10);
/** Seconds of the same load before the measured ones, not measured. Without them the first
 *  half second of a load is most of its tail: its events reached even their first client 50-60
 *  ms late (the server's and the clients' hot code still interpreted, their heaps growing to the
 *  load), and of a 10 s run's 77,000 deliveries over 50 ms, 64,000 were in that half second
 *  (2026-12-04, a trace of every event's first and last delivery). A server that runs for days
 *  is warm when the close comes; FANOUT_WARMUP_SECONDS=0 measures a cold one. */
const WARMUP_SECONDS = Number(process.env.FANOUT_WARMUP_SECONDS ?? 2);
const PROCESSES = Math.max(1, Number(process.env.FANOUT_CLIENT_PROCESSES ?? 2));
/** "frames" (the protocol on frame-reader.ts's sockets) or "graphql-ws" (the library's client) */
const CLIENT = process.env.FANOUT_CLIENT ?? "frames";
const BASE = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const EVENTS_PER_RUN = 3; // PENDING, RUNNING, SUCCEEDED
/** when the state change an event tells of was written: a PENDING manual run's scheduledAt, a
 *  RUNNING one's startedAt, a final one's finishedAt (one machine, one clock) */
const changedAt = <T>(e: { scheduledAt: T; startedAt: T | null; finishedAt: T | null }): T => e.finishedAt ?? e.startedAt ?? e.scheduledAt;
/** the period of the timer that measures how late the server's event loop runs */
const LOOP_TIMER_MS = 2;
const LATE_PERCENTILES = [50, 95, 99, 100];
/** how late an event loop ran at percentile `p` (the histogram holds the timer's intervals:
 *  late is what exceeds its period) */
const lateMs = (h: IntervalHistogram, p: number) => Math.max(0, h.percentile(p) / 1e6 - LOOP_TIMER_MS);
const late = (ms: number[]) => ms.map((v, i) => `${LATE_PERCENTILES[i] === 100 ? "max" : `p${LATE_PERCENTILES[i]}`} ${v.toFixed(0)} ms`).join(", ");
/** latencies as a histogram: deliveries per whole millisecond (Date.now's resolution), so a
 *  client's report is a short list, not 750,000 numbers for the server to parse */
const record = (histogram: number[], ms: number) => {
  const at = Math.max(0, ms);
  histogram[at] = (histogram[at] ?? 0) + 1;
};
/** the count and "p50 … ms, p95 …, p99 …, max …" of histograms taken together */
function summary(...histograms: number[][]): { count: number; text: string } {
  const counts: number[] = [];
  for (const h of histograms) h.forEach((n, ms) => (counts[ms] = (counts[ms] ?? 0) + (n ?? 0)));
  const count = counts.reduce((a, n) => a + (n ?? 0), 0);
  const q = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (let ms = 0; ms < counts.length; ms++) if ((seen += counts[ms] ?? 0) >= rank) return ms;
    return counts.length - 1;
  };
  return { count, text: `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${counts.length - 1} ms` };
}
/** how long the server idles after the load before its RSS is read again */
const SETTLE_MS = 15_000;

/** parent → clients */
type Command = { t: "start"; url: string; token: string; count: number } | { t: "measure"; fromId: number } | { t: "expect"; ids: number[] } | { t: "stop" };
/** clients → parent */
type Report =
  | { t: "connected" }
  | { t: "measuring" }
  | { t: "progress"; withWarmup: number }
  | { t: "done"; received: number[]; latencies: number[]; cpuMs: number; userMs: number; setupMs: number; lateMs: number[] };

if (process.argv[2] === "clients") await clients();
else await server();

// ── the clients' process ─────────────────────────────────────────────────────────────────────
async function clients() {
  const send = (r: Report) => process.send!(r);
  const commands: Command[] = [];
  let wake: (() => void) | null = null;
  process.on("message", (c: Command) => {
    commands.push(c);
    wake?.();
  });
  const next = async (): Promise<Command> => {
    while (!commands.length) await new Promise<void>((r) => (wake = r));
    return commands.shift()!;
  };
  const start = (await next()) as Extract<Command, { t: "start" }>;
  let measureFrom = Infinity; // events of executions with a larger id are measured
  let expected: Set<number> | null = null;
  const received = new Array<number>(start.count).fill(0);
  const warm = new Array<boolean>(start.count).fill(false);
  const latencies: number[] = [];
  // every client gets the same few thousand ids and timestamps: decoded once per process, so the
  // measuring code costs little beside the client's own parsing (it was a third of this process
  // with graphql-ws's client)
  const ids = new Map<string, number>();
  const idOf = (global: string) => ids.get(global) ?? ids.set(global, Number(Buffer.from(global, "base64").toString().split(":")[1])).get(global)!;
  const times = new Map<string, number>();
  const timeOf = (iso: string) => times.get(iso) ?? times.set(iso, Date.parse(iso)).get(iso)!;
  let connected = 0;
  const all: { close(): void }[] = [];
  type Event = { id: string; scheduledAt: string; startedAt: string | null; finishedAt: string | null };
  const onEvent = (i: number, e: Event) => {
    const now = Date.now();
    const id = idOf(e.id);
    if (id <= measureFrom) {
      warm[i] = true;
      return;
    }
    received[i]!++;
    record(latencies, now - timeOf(changedAt(e)));
  };
  const query = `subscription { executionEvents { id status scheduledAt startedAt finishedAt } }`;
  const isConnected = () => void (++connected === start.count && send({ t: "connected" }));
  if (CLIENT === "graphql-ws") {
    const { createClient } = await import("graphql-ws");
    const { default: WebSocket } = await import("ws");
    for (let i = 0; i < start.count; i++) {
      const client = createClient({ url: start.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${start.token}` }, on: { connected: isConnected } });
      all.push({ close: () => void client.dispose() });
      client.subscribe<{ executionEvents: Event }>({ query }, { next: (msg) => msg.data?.executionEvents && onEvent(i, msg.data.executionEvents), error: (e) => console.error("subscription error", e), complete: () => {} });
    }
  } else {
    // the graphql-transport-ws protocol on frame-reader.ts's sockets. Every client of this
    // process receives the same bytes for an event (its subscription id is "1" on every socket):
    // a message is looked up by its bytes (a hash to find it, then compared whole) and parsed
    // only the first time; anything but "next", "ping" and "pong" is reported.
    const { openFrameReader } = await import("./frame-reader.ts");
    const seen = new Map<number, { bytes: Buffer; event: Event }[]>();
    const hashOf = (b: Buffer, from: number, to: number) => {
      let h = 0x811c9dc5;
      for (let k = from; k < to; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
      return h >>> 0;
    };
    for (let i = 0; i < start.count; i++) {
      const ws = openFrameReader(start.url, "graphql-transport-ws", {
        open: () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${start.token}` } })),
        text: (bytes, from, to) => {
          const hash = hashOf(bytes, from, to);
          const known = seen.get(hash)?.find((m) => bytes.compare(m.bytes, 0, m.bytes.length, from, to) === 0);
          if (known) return onEvent(i, known.event);
          const text = bytes.toString("utf8", from, to);
          const m = JSON.parse(text);
          if (m.type === "next" && m.id === "1" && m.payload?.data?.executionEvents) {
            const event = m.payload.data.executionEvents as Event;
            seen.set(hash, [...(seen.get(hash) ?? []), { bytes: Buffer.from(bytes.subarray(from, to)), event }]);
            onEvent(i, event);
          } else if (m.type === "connection_ack") {
            ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
            isConnected();
          } else if (m.type === "ping") ws.send('{"type":"pong"}');
          else if (m.type !== "pong") console.error("unexpected message", text);
        },
        error: (e) => console.error("socket error", e),
      });
      all.push(ws);
    }
  }
  // until told to measure: say how many clients got a warm-up event (so all are subscribed)
  let cpuAtMeasure: NodeJS.CpuUsage | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
  const progress = setInterval(() => send({ t: "progress", withWarmup: warm.filter(Boolean).length }), 100);
  for (;;) {
    const c = await next();
    if (c.t === "measure") {
      clearInterval(progress);
      measureFrom = c.fromId;
      cpuAtMeasure = process.cpuUsage();
      loopDelay.enable();
      send({ t: "measuring" });
    } else if (c.t === "expect") {
      expected = new Set(c.ids);
      const want = expected.size * EVENTS_PER_RUN;
      const until = Date.now() + 300_000;
      while (received.some((n) => n < want) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const cpu = process.cpuUsage(cpuAtMeasure);
      loopDelay.disable();
      send({
        t: "done",
        received,
        latencies: Array.from(latencies, (n) => n ?? 0),
        cpuMs: (cpu.user + cpu.system) / 1000,
        userMs: cpu.user / 1000,
        setupMs: (cpuAtMeasure!.user + cpuAtMeasure!.system) / 1000,
        lateMs: LATE_PERCENTILES.map((p) => lateMs(loopDelay, p)),
      });
    } else if (c.t === "stop") {
      for (const c of all) c.close();
      process.exit(0);
    }
  }
}

// ── the server's process ─────────────────────────────────────────────────────────────────────
async function server() {
  const { createApp } = await import("../src/app.ts");
  const { loadConfig } = await import("../src/config.ts");
  const { createPostgresDatabase } = await import("../test/helpers/database.ts");
  const { benchSettings } = await import("./report.ts");

  const db = await createPostgresDatabase(BASE, "jobgraph_fanout");
  const config = { ...loadConfig({}), ...benchSettings("jobgraph-fanout", 10) };
  const app = await createApp({ config, database: { url: db.url, poolSize: 20 } });
  const children: ChildProcess[] = [];
  try {
    const { prisma } = app.db;
    const task = await prisma.task.create({ data: { name: "noop", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 0 } }, overlapPolicy: "ALLOW" } });
    const token = await app.tokens.mint({ sub: "bench", role: "viewer" });
    const reports = new Map<ChildProcess, Report[]>();
    const waitFor = async (what: string, ok: () => boolean, ms = 120_000) => {
      const until = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const latest = <T extends Report["t"]>(c: ChildProcess, t: T) => reports.get(c)!.findLast((r) => r.t === t) as Extract<Report, { t: T }> | undefined;
    const self = fileURLToPath(import.meta.url);
    for (let p = 0; p < PROCESSES; p++) {
      const count = Math.floor(SUBSCRIBERS / PROCESSES) + (p < SUBSCRIBERS % PROCESSES ? 1 : 0);
      const child = fork(self, ["clients"], { stdio: "inherit" });
      reports.set(child, []);
      child.on("message", (r: Report) => reports.get(child)!.push(r));
      children.push(child);
      child.send({ t: "start", url: app.http!.wsUrl, token, count } satisfies Command);
    }
    const connectStart = Date.now();
    await waitFor("the clients to connect", () => children.every((c) => latest(c, "connected")));
    // warm-up runs until every client has received an event (its subscription is in place)
    const warmups: Promise<number>[] = [];
    let warmedAt = 0;
    await waitFor("every client to receive a warm-up event", () => {
      const n = children.reduce((s, c) => s + (latest(c, "progress")?.withWarmup ?? 0), 0);
      if (n >= SUBSCRIBERS) return true;
      if (Date.now() - warmedAt < 500) return false;
      warmedAt = Date.now();
      warmups.push(app.services.executions.trigger(task.id, null, false, "bench-warmup").then((e) => e.id));
      return false;
    });
    const setupMs = Date.now() - connectStart;

    // a full collection before each reading: growth is what stays, not garbage not yet collected
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    // the RSS is read before the full-rate warm-up: its growth counts
    const mem0 = process.memoryUsage();
    const rss0 = mem0.rss;
    let peakRss = rss0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    /** RATE runs a second for `seconds`, each triggered on time; their ids, once all are in */
    const load = async (seconds: number, source: string) => {
      const t0 = Date.now();
      const triggered: Promise<number>[] = [];
      for (let i = 0; i < RATE * seconds; i++) {
        const due = t0 + (i * 1000) / RATE;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        triggered.push(app.services.executions.trigger(task.id, null, false, source).then((e) => e.id));
      }
      return { ids: await Promise.all(triggered), ms: Date.now() - t0 };
    };
    // then the same load, not measured, until the server's and the clients' hot code is compiled
    // and their heaps have grown to it (see WARMUP_SECONDS)
    const warm = await load(WARMUP_SECONDS, "bench-warmup");
    // events of the warm-up runs (ids up to lastWarmup) are not measured, whenever they arrive
    const lastWarmup = Math.max(0, ...(await Promise.all(warmups)), ...warm.ids);
    for (const c of children) c.send({ t: "measure", fromId: lastWarmup } satisfies Command);
    await waitFor("the clients to measure", () => children.every((c) => latest(c, "measuring")));

    const cpu0 = process.cpuUsage();
    // where the time goes, on the server's side: from a state change to its publication on the
    // bus (the engine's statement, then the wait for the event loop), and how late the loop is
    const published: number[] = [];
    const offBus = app.services.bus.on("executionStatus", "*", (row) => {
      if (row.id > lastWarmup) record(published, Date.now() - changedAt(row).getTime());
    });
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
    loopDelay.enable();
    const { ids, ms: loadMs } = await load(SECONDS, "bench");
    const runs = ids.length;
    for (const c of children) c.send({ t: "expect", ids } satisfies Command);
    await waitFor("the clients' reports", () => children.every((c) => latest(c, "done")), 330_000);
    clearInterval(sampler);
    offBus();
    loopDelay.disable();
    const cpu = process.cpuUsage(cpu0);
    // the clients' reports are summed up and let go before memory is read: they are the
    // benchmark's, not the server's
    const done = children.map((c) => latest(c, "done")!);
    const received = done.flatMap((d) => d.received);
    const latency = summary(...done.map((d) => d.latencies));
    const clientSummary = done.map(({ cpuMs, userMs, setupMs, lateMs }) => ({ cpuMs, userMs, setupMs, lateMs }));
    done.length = 0;
    for (const c of children) reports.set(c, []);
    const expected = runs * EVENTS_PER_RUN;
    const complete = received.filter((n) => n === expected).length;
    gc();
    const mem1 = process.memoryUsage();
    const rss1 = mem1.rss;
    // and once the server idled a while (the clients still connected): what it keeps, not what
    // it has not yet handed back (V8 and the allocator return memory some seconds after a load)
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    gc();
    const settled = process.memoryUsage();
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    console.log(`\nbench:fanout — ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    console.log(`${SUBSCRIBERS} subscribers (${CLIENT} client) in ${PROCESSES} client process(es), ${RATE} runs/s for ${SECONDS} s after ${WARMUP_SECONDS} s of the same not measured (${runs} runs triggered in ${(loadMs / 1000).toFixed(1)} s, ${expected} events each); set-up ${(setupMs / 1000).toFixed(1)} s`);
    console.log(`subscribers that got every event: ${complete}/${SUBSCRIBERS} (fewest: ${Math.min(...received)}, most: ${Math.max(...received)}); deliveries ${latency.count}/${expected * SUBSCRIBERS}`);
    console.log(`event → client: ${latency.text}`);
    console.log(`  of which on the server — state change → published: ${summary(published).text}; event loop late by ${late(LATE_PERCENTILES.map((p) => lateMs(loopDelay, p)))}`);
    console.log(`  and in the client processes — event loop late by ${clientSummary.map((d) => late(d.lateMs)).join("; ")}`);
    console.log(`server RSS: ${mb(rss0)} MB → ${mb(rss1)} MB (+${mb(rss1 - rss0)} MB after a full GC; peak during the warm-up and the load +${mb(peakRss - rss0)} MB); JS heap ${mb(mem0.heapUsed)} → ${mb(mem1.heapUsed)} MB used, ${mb(mem0.heapTotal)} → ${mb(mem1.heapTotal)} MB committed, external ${mb(mem0.external)} → ${mb(mem1.external)} MB`);
    console.log(`server RSS ${SETTLE_MS / 1000} s later, idle with every client still connected: ${mb(settled.rss)} MB (${settled.rss >= rss0 ? "+" : "−"}${mb(Math.abs(settled.rss - rss0))} MB), JS heap ${mb(settled.heapUsed)} MB used, ${mb(settled.heapTotal)} MB committed`);
    console.log(`CPU from the load's start until the last delivery: server ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (user ${(cpu.user / 1000).toFixed(0)}); client process(es) ${clientSummary.map((d) => `${d.cpuMs.toFixed(0)} (user ${d.userMs.toFixed(0)})`).join(", ")} ms, and ${clientSummary.map((d) => d.setupMs.toFixed(0)).join(", ")} ms before, in their set-up`);
  } finally {
    for (const c of children) c.send({ t: "stop" } satisfies Command);
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
    await app.stop();
    await db.drop();
  }
  process.exit(0);
}
