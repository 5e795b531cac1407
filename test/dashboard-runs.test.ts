// What runs do over time, on the dashboard in a real browser (headless Chromium through
// playwright-core) against a real server: an admin marks a stuck run failed with a reason and
// every open page shows FAILED and the reason live; a task that fails after retries lists its
// earlier attempts, oldest first, each a link to that attempt; the live log tail survives a
// dropped connection — the lines written while the socket was down appear after the reconnect,
// exactly once and in order, resumed with afterSeq, without a reload; and a long task list draws
// the rows in view and the others as it scrolls. Screenshots land in .screenshots/ (git-ignored).
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, startTestApp, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { launchBrowser, openDashboard, screenshot, stillSameLoad } from "./helpers/browser.ts";

let t: TestApp;
let browser: Browser;
let origin: string;
const backend = process.env.JOBGRAPH_TEST_BACKEND ?? "pglite";

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
  origin = new URL(t.url).origin;
  await createTask(t, { name: "stuck_sleep", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 120_000 } } });
  await createTask(t, { name: "flaky", kind: "HANDLER", maxRetries: 2, retryDelaySeconds: 0, config: { handler: "demo.fail", defaults: { message: "upstream said no" } } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

type Role = "admin" | "operator" | "viewer";
const open = async (role: Role, hash: string, opts: { at?: string; beforeLoad?(page: Page): void } = {}): Promise<Page> =>
  openDashboard(browser, `${opts.at ?? origin}/?token=${await t.token(role)}${hash}`, { signedIn: true, beforeLoad: opts.beforeLoad });
const executionHash = (id: string) => `#/executions/${encodeURIComponent(id)}`;

/** waits on what the page shows; generous, for a loaded 2-core machine */
const poll = <T>(read: () => Promise<T> | T, opts: { timeout?: number } = {}) => expect.poll(read, { timeout: 20_000, ...opts });

const taskId = async (name: string): Promise<string> => (await t.ok(`query($name: String!) { task(name: $name) { id } }`, { name })).task.id;

test("an admin marks a running run failed with a reason; every open page shows FAILED and the reason live", async () => {
  const run = await trigger(t, await taskId("stuck_sleep"));
  const operator = await open("operator", executionHash(run.id));
  const admin = await open("admin", executionHash(run.id));
  for (const page of [operator, admin]) await poll(() => page.getByTestId("exec-status").textContent()).toBe("RUNNING");
  // mark-failed is an admin's verdict: an operator may cancel, and is not offered it
  expect(await operator.getByRole("button", { name: "Cancel" }).count()).toBe(1);
  expect(await operator.getByRole("button", { name: /Mark failed/ }).count()).toBe(0);

  await admin.getByRole("button", { name: "Mark failed…" }).click();
  await admin.getByRole("textbox", { name: "reason" }).fill("upstream feed stuck since 09:00");
  await screenshot(admin, `${backend}-execution-mark-failed`);
  await admin.getByRole("button", { name: "Mark failed", exact: true }).click();

  for (const page of [admin, operator]) {
    await poll(() => page.getByTestId("exec-status").textContent()).toBe("FAILED");
    await poll(() => page.getByTestId("exec-error").textContent()).toBe("marked failed by admin-user: upstream feed stuck since 09:00");
    expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0); // nothing left to do on a final run
    expect(await page.getByRole("button", { name: /Mark failed/ }).count()).toBe(0);
    expect(await stillSameLoad(page)).toBe(true);
  }
  await screenshot(admin, `${backend}-execution-marked-failed`);
  // the server agrees, and no retry followed the verdict
  const final = await waitForFinal(t, run.id);
  expect(final.status).toBe("FAILED");
  const runs = await t.ok(`query($id: ID!) { executions(filter: { taskId: $id }) { totalCount } }`, { id: await taskId("stuck_sleep") });
  expect(runs.executions.totalCount).toBe(1);
  await operator.context().close();
  await admin.context().close();
});

test("a task that fails after its retries: the last attempt lists the earlier ones, each a link to that attempt", async () => {
  const flaky = await taskId("flaky");
  const first = await trigger(t, flaky);
  const attempts = await waitFor(async () => {
    const r = await t.ok(`query($id: ID!) { executions(filter: { taskId: $id }, first: 10) { edges { node { id attempt status retryOf { id } } } } }`, { id: flaky });
    const nodes = r.executions.edges.map((e: { node: unknown }) => e.node) as { id: string; attempt: number; status: string; retryOf: { id: string } | null }[];
    return nodes.length === 3 && nodes.every((n) => n.status === "FAILED") ? nodes.sort((a, b) => a.attempt - b.attempt) : null;
  }, 30_000, "three failed attempts");
  expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  expect(attempts[0]!.id).toBe(first.id);
  expect(attempts[1]!.retryOf?.id).toBe(attempts[0]!.id);
  expect(attempts[2]!.retryOf?.id).toBe(attempts[1]!.id);

  const page = await open("viewer", executionHash(attempts[2]!.id));
  const title = page.locator(".card-head h2").first();
  const links = page.getByTestId("attempts").locator("a[data-attempt]");
  await poll(() => title.textContent()).toBe("flaky — run, attempt 3");
  await poll(() => links.allTextContents()).toEqual(["#1 FAILED", "#2 FAILED"]);
  expect(await page.getByTestId("attempts").locator("strong").textContent()).toBe("#3");
  expect(await page.getByTestId("attempts").locator("a[data-next-attempt]").count()).toBe(0); // the last: nothing retried it
  expect(await page.getByTestId("exec-error").textContent()).toContain("upstream said no");
  await screenshot(page, `${backend}-execution-attempts`);

  await links.filter({ hasText: "#2" }).click();
  await poll(() => title.textContent()).toBe("flaky — run, attempt 2");
  expect(decodeURIComponent(new URL(page.url()).hash)).toBe(`#/executions/${attempts[1]!.id}`);
  await poll(() => links.allTextContents()).toEqual(["#1 FAILED"]);
  const next = page.getByTestId("attempts").locator("a[data-next-attempt]");
  await poll(() => next.textContent()).toBe("#3 FAILED"); // and on to the attempt that retried it
  await links.first().click();
  await poll(() => title.textContent()).toBe("flaky — run, attempt 1");
  await poll(() => page.getByTestId("attempts").textContent()).toBe("#1 → #2 FAILED"); // none before the first
  await next.click();
  await poll(() => title.textContent()).toBe("flaky — run, attempt 2");
  expect(await stillSameLoad(page)).toBe(true);
  await page.context().close();
}, 60_000);

/**
 * A TCP proxy in front of the server that can drop every connection and refuse new ones (the
 * network going away while the server keeps running), then accept again on the same port.
 */
async function startCuttableProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1");
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("error", () => {});
          sock.on("close", () => {
            sockets.delete(sock);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve((s.address() as net.AddressInfo).port));
      server = s;
    });
  const port = await listen(0);
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      for (const sock of sockets) sock.destroy();
      if (s) s.close(() => resolve());
      else resolve();
    });
  return { port, cut: close, restore: () => listen(port), close };
}

test("the live log tail resumes after a dropped connection: lines written meanwhile appear once, in order, without a reload", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-log-resume-"));
  const stop = path.join(dir, "stop");
  // a line every 150 ms until the test lets it end
  const script = `const fs = require("fs"); let i = 0; const t = setInterval(() => { console.log("line " + ++i); if (fs.existsSync(${JSON.stringify(stop)})) { clearInterval(t); console.log("end"); } }, 150);`;
  const task = await createTask(t, { name: "chatty", kind: "COMMAND", config: { command: process.execPath, args: ["-e", script] } });
  const proxy = await startCuttableProxy(Number(new URL(t.url).port));
  const serverLines = async (id: string): Promise<{ seq: number; text: string }[]> =>
    (await t.ok(`query($id: ID!) { executionLog(id: $id, limit: 10000) { seq text } }`, { id })).executionLog;
  try {
    const run = await trigger(t, task.id);
    // every subscribe of the log tail the page sends, with the socket it went on
    const subscribes: { socket: number; afterSeq: number }[] = [];
    let sockets = 0;
    const listen = (page: Page) =>
      page.on("websocket", (ws) => {
        const socket = ++sockets;
        ws.on("framesent", ({ payload }) => {
          const msg = JSON.parse(String(payload)) as { type: string; payload?: { query?: string; variables?: { afterSeq?: number } } };
          if (msg.type === "subscribe" && msg.payload?.query?.includes("executionLogLines")) subscribes.push({ socket, afterSeq: msg.payload.variables?.afterSeq ?? 0 });
        });
      });
    const page = await open("viewer", executionHash(run.id), { at: `http://127.0.0.1:${proxy.port}`, beforeLoad: listen });
    const seqs = () => page.getByTestId("log").locator(".log-seq").allTextContents().then((s) => s.map(Number));
    await poll(() => page.getByTestId("exec-status").textContent()).toBe("RUNNING");
    await poll(async () => (await seqs()).length).toBeGreaterThanOrEqual(3);
    await poll(() => page.getByTestId("connection").textContent()).toContain("live");

    await proxy.cut();
    await poll(() => page.getByTestId("connection").textContent()).toContain("reconnecting");
    const before = await seqs();
    // lines the page has not seen are written while it cannot hear them
    await waitFor(async () => (await serverLines(run.id)).length >= before.length + 5, 20_000, "lines written while disconnected");
    const writtenWhileDown = (await serverLines(run.id)).length;
    expect(await seqs()).toEqual(before);

    await proxy.restore();
    await poll(() => page.getByTestId("connection").textContent(), { timeout: 30_000 }).toContain("live");
    // the missed lines arrive, and new ones follow
    await poll(async () => (await seqs()).length, { timeout: 20_000 }).toBeGreaterThan(writtenWhileDown);
    writeFileSync(stop, "");
    await poll(() => page.getByTestId("exec-status").textContent(), { timeout: 20_000 }).toBe("SUCCEEDED");
    const all = await serverLines(run.id);
    expect(all.at(-1)!.text).toBe("end");
    // exactly the server's lines, each once, in order
    await poll(() => seqs()).toEqual(all.map((l) => l.seq));
    const texts = await page.getByTestId("log").locator("div").allTextContents();
    expect(texts).toEqual(all.map((l) => `${l.seq}${l.text}`));
    expect(all.map((l) => l.seq)).toEqual(all.map((_, i) => i + 1));
    expect(await stillSameLoad(page)).toBe(true);
    await screenshot(page, `${backend}-execution-log-resumed`);

    // how it resumed: the first socket asked from the start; the new one only after the last line the page had
    expect(sockets).toBeGreaterThanOrEqual(2);
    expect(subscribes.filter((s) => s.socket === 1).map((s) => s.afterSeq)).toEqual([0]);
    const later = subscribes.filter((s) => s.socket > 1);
    expect(later.length).toBeGreaterThanOrEqual(1);
    for (const s of later) expect(s.afterSeq).toBeGreaterThanOrEqual(before.at(-1)!);
    await page.context().close();
  } finally {
    if (!existsSync(stop)) writeFileSync(stop, "");
    await proxy.close();
  }
}, 120_000);

test("a long task list draws the rows in view, and the others as it scrolls; switches work on them", async () => {
  // manual-only tasks (they never fire), written in one statement
  await t.app.services.prisma.task.createMany({
    data: Array.from({ length: 300 }, (_, i) => ({ name: `listed_${String(i).padStart(3, "0")}`, kind: "HANDLER" as const, config: { handler: "demo.sleep", defaults: { ms: 1 } } })),
  });
  const total = (await t.ok(`{ tasks { totalCount } }`)).tasks.totalCount as number;
  const page = await open("operator", "#/tasks");
  const table = page.getByTestId("tasks");
  await poll(() => table.getAttribute("data-rows")).toBe(String(total));
  await poll(() => page.locator(".card-head h2").first().textContent()).toBe(`Tasks (${total})`);
  const drawn = await page.locator("[data-task]").count();
  expect(drawn).toBeGreaterThan(10); // the rows in view, and a margin
  expect(drawn).toBeLessThan(100); // not all of them
  expect(await page.locator("[data-task=listed_299]").count()).toBe(0);

  await poll(() => table.getAttribute("data-stats")).toBe(String(total)); // the 7-day statistics follow the columns

  const scroller = page.locator(".table-scroll");
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  const last = page.locator("[data-task=listed_299]");
  await last.waitFor();
  await poll(() => last.textContent()).toContain("no runs");
  expect(await page.locator("[data-task]").count()).toBeLessThan(100);
  const scrolledTo = await scroller.evaluate((el) => el.scrollTop);
  // the change comes back as taskChanged and the page refreshes its list: swapped in whole, so the
  // table neither shrinks nor loses the row under the reader meanwhile (every state it passes
  // through is recorded)
  await page.evaluate(() => {
    const w = window as unknown as { seen: { rows: number; lastDrawn: boolean }[] };
    w.seen = [];
    const table = document.querySelector("[data-testid=tasks]")!;
    new MutationObserver(() => w.seen.push({ rows: Number(table.getAttribute("data-rows")), lastDrawn: !!table.querySelector("[data-task=listed_299]") })).observe(table, { subtree: true, attributes: true, childList: true });
  });
  // (urql sends queries as GET when they fit in a URL)
  const isStats = (url: string, body: string | null) => new URL(url).pathname === "/graphql" && (url + (body ?? "")).includes("TaskStats");
  // the refresh asks for each page's statistics as its columns arrive: the last of them comes after the swap
  let statsPages = 0;
  const pages = Math.ceil(total / 250);
  const refreshed = page.waitForResponse((r) => isStats(r.url(), r.request().postData()) && ++statsPages === pages, { timeout: 20_000 });
  await last.getByRole("button", { name: "Pause" }).click();
  await poll(() => last.textContent()).toContain("paused");
  expect((await t.ok(`{ task(name: "listed_299") { paused } }`)).task.paused).toBe(true);
  await refreshed;
  const seen = await page.evaluate(() => (window as unknown as { seen: { rows: number; lastDrawn: boolean }[] }).seen);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter((s) => s.rows !== total || !s.lastDrawn)).toEqual([]);
  expect(await scroller.evaluate((el) => el.scrollTop)).toBe(scrolledTo);
  expect(await last.textContent()).toContain("paused");
  await screenshot(page, `${backend}-tasks-scrolled`);

  await page.getByRole("searchbox", { name: "search" }).fill("listed_29");
  await poll(() => page.locator("[data-task]").count()).toBe(10);
  expect(await stillSameLoad(page)).toBe(true);
  await page.context().close();
});
