// npm run bench:dashboard — how the dashboard does in a real browser (headless Chromium), against
// a real server on an embedded in-memory database:
//   1. first load of "/": JavaScript bytes sent compressed (gzip), the page signed in and drawn;
//   2. the tasks page with 1,000 tasks, over several runs: from the click on "Tasks" until it is
//      interactive — all 1,000 tasks in the table (name, kind, schedule, next fire, state and
//      switches), the rows in view drawn and the main thread free — and until every task's 7-day
//      statistics are in too (they are asked for after the columns); then how long scrolling to
//      the end takes to draw the last task (only the rows in view are drawn: web/src/lib/windowing.ts);
//   3. the overview while 100 executions each report progress 10 times a second: frame intervals
//      and long tasks (> 50 ms) from the browser, and how many updates the server published.
//   BENCH_RUNS (default 5) runs of (2); BENCH_SECONDS (default 10) of (3); BENCH_HISTORY (default
//   20) finished runs per task over the last 7 days, so that the 7-day statistics the tasks page
//   shows have something to aggregate (20,000 executions).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { launchBrowser } from "../test/helpers/browser.ts";
import { report, summarize, type Figure } from "./report.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNNING = 100;
const HISTORY = Number(process.env.BENCH_HISTORY ?? 20);

const config = {
  ...loadConfig({}),
  port: 0,
  host: "127.0.0.1",
  dataDir: mkdtempSync(path.join(os.tmpdir(), "jobgraph-bench-dashboard-")),
  jwtSecret: "bench-secret-that-is-at-least-32-characters-long",
  demo: false,
  logLevel: "silent",
  concurrency: RUNNING + 10,
  // the countdowns still running at the end are cancelled by the shutdown
  shutdownGraceMs: 500,
};
const app = await createApp({ config, database: { pgliteDir: "memory://" } });
const origin = new URL(app.http!.url).origin;
const token = await app.tokens.mint({ sub: "bench", role: "admin" });
const browser = await launchBrowser();
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
// tsx compiles the functions handed to page.evaluate with esbuild's keepNames helper
await context.addInitScript("window.__name = (f) => f");
context.on("page", (page) => {
  page.on("crash", () => console.error("page crashed"));
  page.on("pageerror", (e) => console.error("page error:", e.message));
});
const figures: Figure[] = [];
const notes: string[] = [];

try {
  // ── 1. first load ───────────────────────────────────────────────────────────────────────────
  {
    const page = await context.newPage();
    let jsBytes = 0;
    const files: string[] = [];
    page.on("response", async (res) => {
      if (!res.url().endsWith(".js")) return;
      const headers = await res.allHeaders();
      jsBytes += Number(headers["content-length"] ?? 0);
      files.push(`${path.basename(res.url())} (${headers["content-encoding"] ?? "identity"})`);
    });
    const t0 = Date.now();
    await page.goto(`${origin}/?token=${token}`);
    await page.getByTestId("scheduler").waitFor({ timeout: 120_000 });
    const loadMs = Date.now() - t0;
    await page.close();
    figures.push(summarize("first load: JavaScript, compressed", "kB", [jsBytes / 1024]));
    figures.push(summarize("first load: until the overview is drawn", "ms", [loadMs]));
    notes.push(`first load fetched ${files.join(", ")}`);
  }

  // ── 2. tasks page with 1,000 tasks ──────────────────────────────────────────────────────────
  {
    const now = Date.now();
    await app.services.prisma.task.createMany({
      data: Array.from({ length: 1000 }, (_, i) => ({
        name: `bench_task_${String(i).padStart(4, "0")}`,
        displayName: `Bench task ${i}`,
        kind: "HANDLER" as const,
        config: { handler: "demo.sleep", defaults: { ms: 10 } },
        cron: i % 2 ? "*/5 * * * *" : "0 18 * * 1-5",
        timezone: i % 3 ? "UTC" : "Asia/Shanghai",
        nextRunAt: new Date(now + (i + 1) * 60_000),
        paused: i % 10 === 0,
      })),
    });
    const tasks = await app.services.prisma.task.findMany({ where: { name: { startsWith: "bench_task_" } }, select: { id: true } });
    for (let from = 0; from < tasks.length; from += 100) {
      await app.services.prisma.execution.createMany({
        data: tasks.slice(from, from + 100).flatMap((task, t) =>
          Array.from({ length: HISTORY }, (_, i) => {
            const scheduledAt = new Date(now - ((i + 1) * 7 * 24 * 3600_000) / (HISTORY + 1));
            const durationMs = 200 + ((from + t) * 37 + i * 101) % 5000;
            return {
              taskId: task.id,
              status: (i + t) % 10 === 0 ? ("FAILED" as const) : ("SUCCEEDED" as const),
              trigger: "SCHEDULE" as const,
              scheduledAt,
              runAfter: scheduledAt,
              startedAt: scheduledAt,
              finishedAt: new Date(scheduledAt.getTime() + durationMs),
              durationMs,
            };
          }),
        ),
      });
    }
    notes.push(`tasks page: ${tasks.length} tasks with ${tasks.length * HISTORY} finished runs in the last 7 days`);
    const samples: number[] = [];
    const scrolls: number[] = [];
    const completes: number[] = [];
    const longTasks: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const page = await context.newPage();
      await page.goto(`${origin}/?token=${token}#/`);
      await page.getByTestId("scheduler").waitFor({ timeout: 60_000 });
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
      });
      const measured = await page.evaluate(async () => {
        const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const until = (done: () => boolean) =>
          new Promise<void>((resolve) => {
            const check = () => (done() ? resolve() : requestAnimationFrame(check));
            check();
          });
        const start = performance.now();
        (document.querySelector('a[href="#/tasks"]') as HTMLAnchorElement).click();
        const table = () => document.querySelector("[data-testid=tasks]");
        // every task is in the table, the first rows are drawn
        await until(() => table()?.getAttribute("data-rows") === "1000" && !!document.querySelector("[data-task=bench_task_0000]"));
        // interactive: that frame is painted and an input would be handled now
        await frame();
        const interactive = performance.now() - start;
        const drawn = document.querySelectorAll("[data-task]").length;
        await until(() => table()?.getAttribute("data-stats") === "1000");
        await frame();
        const complete = performance.now() - start;
        // input: scroll the table to its end, until the last task's row is drawn and painted
        const scroller = document.querySelector("[data-testid=tasks]")!.closest(".table-scroll") as HTMLElement;
        const scrollStart = performance.now();
        scroller.scrollTop = scroller.scrollHeight;
        await until(() => !!document.querySelector("[data-task=bench_task_0999]"));
        await frame();
        return { interactive, complete, drawn, scroll: performance.now() - scrollStart };
      });
      samples.push(measured.interactive);
      completes.push(measured.complete);
      scrolls.push(measured.scroll);
      if (run === 0) notes.push(`tasks page draws ${measured.drawn} of 1,000 rows at a time (the ones in view and a margin)`);
      longTasks.push(...(await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks)));
      await page.close();
    }
    figures.push(summarize("tasks page, 1,000 tasks: click → interactive", "ms", samples));
    figures.push(summarize("tasks page: click → every row's 7-day stats in", "ms", completes));
    figures.push(summarize("tasks page: scroll to the end → last row drawn", "ms", scrolls));
    notes.push(`tasks page long tasks: ${longTasks.length} in ${RUNS} runs, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
  }

  // ── 3. overview with 100 running executions, each 10 progress reports a second ──────────────
  {
    const task = await app.services.tasks.create({
      name: "bench_progress",
      kind: "HANDLER",
      overlapPolicy: "ALLOW",
      config: { handler: "demo.countdown", defaults: { steps: (SECONDS + 20) * 10, stepMs: 100 } },
    });
    const page = await context.newPage();
    await page.goto(`${origin}/?token=${token}#/`);
    await page.getByTestId("scheduler").waitFor({ timeout: 60_000 });
    for (let i = 0; i < RUNNING; i++) await app.services.executions.trigger(task.id, null, true, "bench");
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=running] tbody tr").length >= n, RUNNING, { timeout: 60_000 });
    let published = 0;
    const off = app.services.bus.on("execution", "*", () => void published++);
    const measured = await page.evaluate(async (seconds) => {
      const frames: number[] = [];
      const longTasks: number[] = [];
      let bars = 0;
      const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
      observer.observe({ type: "longtask" });
      const mutations = new MutationObserver((records) => (bars += records.length));
      mutations.observe(document.querySelector("[data-testid=running]")!, { subtree: true, attributes: true, attributeFilter: ["style"] });
      const end = performance.now() + seconds * 1000;
      let last = performance.now();
      await new Promise<void>((resolve) => {
        const tick = (t: number) => {
          frames.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      observer.disconnect();
      mutations.disconnect();
      return { frames, longTasks, bars };
    }, SECONDS);
    off();
    await page.close();
    figures.push(summarize(`overview, ${RUNNING} runs × 10 updates/s: frame interval`, "ms", measured.frames));
    figures.push(summarize("overview: long tasks (> 50 ms) per second", "count", [measured.longTasks.length / SECONDS]));
    notes.push(
      `overview: server published ${Math.round(published / SECONDS)} execution updates/s; the page redrew progress bars ${Math.round(measured.bars / SECONDS)} times/s; ` +
        `${measured.longTasks.length} long tasks in ${SECONDS} s (longest ${Math.round(Math.max(0, ...measured.longTasks))} ms)`,
    );
  }
} finally {
  await browser.close();
  await app.stop();
}

report("dashboard", figures, { backend: "pglite (in memory)", runs: RUNS, seconds: SECONDS, cpus: os.cpus().length });
for (const n of notes) console.log(`  ${n}`);
process.exit(0);
