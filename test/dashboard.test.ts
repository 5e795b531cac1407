// The dashboard in a real browser (headless Chromium through playwright-core) against a real
// server on a fresh database with the demo tasks: sign-in (pasted, by URL, refused), live
// progress to 100 % without a reload, live log lines, cancel, a workflow's steps changing state,
// what a viewer is (not) offered, and the audit log. One browser for the file; a fresh context
// (empty sessionStorage) per test. Screenshots of each page land in .screenshots/ (git-ignored).
import { SignJWT } from "jose";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTask, startTestApp, TEST_SECRET, waitForFinal, type TestApp } from "./helpers/app.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { launchBrowser, markLoad, openDashboard, screenshot, stillSameLoad } from "./helpers/browser.ts";

let t: TestApp;
let browser: Browser;
let origin: string;
const backend = process.env.JOBGRAPH_TEST_BACKEND ?? "pglite";

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestApp({ config: { demo: true } }), launchBrowser()]);
  origin = new URL(t.url).origin;
  await createTask(t, { name: "bar_countdown", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 8, stepMs: 300 } } });
  await createTask(t, { name: "long_sleep", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 120_000 } } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function open(role: "admin" | "operator" | "viewer" | null, hash = "#/"): Promise<Page> {
  return openDashboard(browser, role ? `${origin}/?token=${await t.token(role)}${hash}` : `${origin}/${hash}`, { signedIn: !!role });
}

/** waits on what the page shows; generous, for a loaded 2-core machine */
const poll = <T>(read: () => Promise<T> | T, opts: { timeout?: number } = {}) => expect.poll(read, { timeout: 20_000, ...opts });

const notReloaded = async (page: Page) => expect(await stillSameLoad(page)).toBe(true);

test("signs in with a pasted token, keeps it for the tab, and signs out", async () => {
  const page = await open(null);
  await page.getByRole("textbox", { name: "Token" }).fill(await t.token("admin"));
  await screenshot(page, `${backend}-signin`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await poll(() => page.getByTestId("who").textContent()).toContain("admin-user · admin");
  await poll(() => page.getByTestId("connection").textContent()).toContain("live");
  await page.getByTestId("scheduler").waitFor();
  await screenshot(page, `${backend}-overview`);
  await page.reload(); // sessionStorage survives a reload of the tab
  await page.getByTestId("who").waitFor();
  expect(new URL(page.url()).search).toBe(""); // a ?token= never stays in the address bar
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.context().close();
});

test("a bad or expired token is refused with a message", async () => {
  const page = await open(null, "?token=not-a-token#/");
  await poll(() => page.getByTestId("signin-error").textContent()).toContain("invalid or expired token");
  await screenshot(page, `${backend}-signin-refused`);
  const expired = await new SignJWT({ role: "admin" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("old")
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(new TextEncoder().encode(TEST_SECRET));
  await page.getByRole("textbox", { name: "Token" }).fill(expired);
  await page.getByRole("button", { name: "Sign in" }).click();
  await poll(() => page.getByTestId("signin-error").textContent()).toContain("invalid or expired token");
  await page.context().close();
});

test("a countdown triggered from its page shows its bar advancing to 100% live", async () => {
  const page = await open("operator", "#/tasks/bar_countdown");
  const params = page.getByRole("textbox", { name: "params" });
  await poll(() => params.inputValue()).toContain('"steps": 8');
  await params.fill("{ not json");
  await page.getByTestId("params-error").waitFor();
  expect(await page.getByRole("button", { name: "Trigger", exact: true }).isDisabled()).toBe(true);
  await params.fill('{ "steps": 8, "stepMs": 300 }');
  await screenshot(page, `${backend}-task`);
  await page.getByRole("button", { name: "Trigger", exact: true }).click();
  await page.getByTestId("exec-progress").waitFor();
  // every value the bar shows, as the page renders it
  await page.evaluate(() => {
    const seen: number[] = ((window as unknown as { seen: number[] }).seen = []);
    const read = () => {
      const bar = document.querySelector("[data-testid=exec-progress] [role=progressbar]");
      const v = Number(bar?.getAttribute("aria-valuenow"));
      if (seen.at(-1) !== v) seen.push(v);
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
  await poll(() => page.getByTestId("exec-status").textContent(), { timeout: 20_000 }).toBe("SUCCEEDED");
  const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
  expect(seen.at(-1)).toBe(100);
  expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThanOrEqual(3); // it advanced, not jumped
  await notReloaded(page);
  await screenshot(page, `${backend}-execution`);
  await page.context().close();
});

test("log lines of a command run appear live", async () => {
  const page = await open("operator", "#/tasks/sync_stock_list");
  await page.getByRole("textbox", { name: "params" }).fill('{ "count": 12, "delayMs": 250 }');
  await page.getByRole("button", { name: "Trigger", exact: true }).click();
  const log = page.getByTestId("log");
  await poll(() => log.textContent()).toContain("sync_stock_list: execution");
  const early = (await log.locator("div").count());
  await poll(() => log.locator("div").count(), { timeout: 20_000 }).toBeGreaterThan(early);
  await poll(() => page.getByTestId("exec-status").textContent(), { timeout: 20_000 }).toBe("SUCCEEDED");
  await notReloaded(page);
  await page.context().close();
});

test("a long run cancelled from its page ends CANCELLED", async () => {
  const page = await open("operator", "#/tasks/long_sleep");
  await page.getByRole("button", { name: "Trigger", exact: true }).click();
  await poll(() => page.getByTestId("exec-status").textContent()).toBe("RUNNING");
  await page.getByRole("button", { name: "Cancel" }).click();
  await poll(() => page.getByTestId("exec-status").textContent()).toBe("CANCELLED");
  await poll(() => page.getByTestId("exec-error").textContent()).toContain("cancel");
  expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0);
  await notReloaded(page);
  await page.context().close();
});

test("a workflow run draws its DAG and every step changes state live", async () => {
  const page = await open("admin", "#/tasks/nightly_sync");
  await page.getByRole("button", { name: "Trigger", exact: true }).click();
  await page.getByTestId("dag").waitFor();
  await page.evaluate(() => {
    const seen: Record<string, string[]> = ((window as unknown as { steps: Record<string, string[]> }).steps = {});
    const read = () => {
      for (const g of document.querySelectorAll("[data-testid=dag] [data-step]")) {
        const step = g.getAttribute("data-step")!;
        const list = (seen[step] ??= []);
        const status = g.getAttribute("data-status")!;
        if (list.at(-1) !== status) list.push(status);
      }
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
  await poll(() => page.locator("[data-step=stock_list]").getAttribute("data-status")).toBe("RUNNING");
  await screenshot(page, `${backend}-workflow`);
  await poll(() => page.getByTestId("exec-status").textContent(), { timeout: 30_000 }).toBe("SUCCEEDED");
  await poll(() => page.locator("[data-step=trading_calendar]").getAttribute("data-status")).toBe("SUCCEEDED");
  const steps = await page.evaluate(() => (window as unknown as { steps: Record<string, string[]> }).steps);
  expect(steps.stock_list).toContain("RUNNING");
  expect(steps.stock_list!.at(-1)).toBe("SUCCEEDED");
  expect(steps.trading_calendar![0]).toBe("NOT_STARTED"); // waited for its dependency
  expect(steps.trading_calendar).toContain("RUNNING");
  expect(steps.trading_calendar!.at(-1)).toBe("SUCCEEDED");
  // each box links to its step's execution
  await page.locator("[data-step=trading_calendar]").click();
  await poll(() => page.locator(".card-head h2").first().textContent()).toContain("step trading_calendar");
  await notReloaded(page);
  await page.context().close();
});

test("a viewer sees everything but is offered no action", async () => {
  const run = await t.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: (await t.ok(`{ task(name: "long_sleep") { id } }`)).task.id }, "operator");
  const page = await open("viewer", "#/tasks");
  await page.locator("[data-task=long_sleep]").waitFor();
  await screenshot(page, `${backend}-tasks-viewer`);
  for (const name of ["Disable", "Enable", "Pause", "Resume"]) expect(await page.getByRole("button", { name, exact: true }).count()).toBe(0);
  await page.goto(`${origin}/#/tasks/long_sleep`);
  await page.getByTestId("upcoming").waitFor();
  expect(await page.getByRole("button", { name: "Trigger", exact: true }).count()).toBe(0);
  await page.goto(`${origin}/#/executions/${encodeURIComponent(run.triggerTask.id)}`);
  await poll(() => page.getByTestId("exec-status").textContent()).toBe("RUNNING");
  expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0);
  expect(await page.getByRole("button", { name: /Mark failed/ }).count()).toBe(0);
  await page.goto(`${origin}/#/`);
  await page.getByTestId("scheduler").waitFor();
  expect(await page.getByRole("button", { name: /scheduler/ }).count()).toBe(0);
  await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: run.triggerTask.id }, "operator");
  await page.context().close();
});

test("switches flip in place on the tasks page, and the audit log shows who did it", async () => {
  const page = await open("operator", "#/tasks");
  const row = page.locator("[data-task=bar_countdown]");
  await row.getByRole("button", { name: "Pause" }).click();
  await poll(() => row.textContent()).toContain("paused");
  await row.getByRole("button", { name: "Resume" }).click();
  await poll(() => row.textContent()).toContain("enabled");
  await page.getByRole("searchbox", { name: "search" }).fill("sync");
  await poll(() => page.locator("[data-task]").count()).toBe(3);
  await screenshot(page, `${backend}-tasks`);
  await page.goto(`${origin}/#/audit`);
  await page.getByRole("combobox", { name: "action" }).selectOption("task.pause");
  await poll(() => page.getByTestId("audit").locator("tbody tr").count()).toBe(1);
  expect(await page.getByTestId("audit").textContent()).toContain("operator-user");
  await page.getByRole("combobox", { name: "action" }).selectOption("");
  await screenshot(page, `${backend}-audit`);
  await page.context().close();
});

test("after a server restart the page reconnects by itself and is live again, without a reload", async () => {
  const db = await createTestDatabase({ persistent: true });
  let first: TestApp | null = await startTestApp({ db });
  let second: TestApp | null = null;
  try {
    const task = await createTask(first, { name: "after_restart", kind: "HANDLER", config: { handler: "demo.countdown", defaults: { steps: 10, stepMs: 300 } } });
    const logged = await createTask(first, { name: "logged", kind: "COMMAND", config: { command: process.execPath, args: ["-e", "for (let i = 1; i <= 5; i++) console.log('line ' + i)"] } });
    const run = await first.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: logged.id }, "operator");
    await waitForFinal(first, run.triggerTask.id);
    const port = Number(new URL(first.url).port);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(`http://127.0.0.1:${port}/?token=${await first.token("admin")}#/executions/${encodeURIComponent(run.triggerTask.id)}`);
    await poll(() => page.getByTestId("log").locator("div").count()).toBe(5);
    await poll(() => page.getByTestId("connection").textContent()).toContain("live");
    await markLoad(page);

    await first.stop();
    first = null;
    await poll(() => page.getByTestId("connection").textContent()).toContain("reconnecting");
    second = await startTestApp({ db, config: { port } });
    await poll(() => page.getByTestId("connection").textContent(), { timeout: 30_000 }).toContain("live");
    // the log resumed after the last line it had: nothing twice
    expect(await page.getByTestId("log").locator("div").allTextContents()).toEqual(["1line 1", "2line 2", "3line 3", "4line 4", "5line 5"]);

    await page.goto(`http://127.0.0.1:${port}/#/`);
    await page.getByTestId("scheduler").waitFor();
    await second.ok(`mutation($id: ID!) { triggerTask(id: $id) { id } }`, { id: task.id }, "operator");
    await page.locator("[data-testid=running] tr", { hasText: "after_restart" }).waitFor();
    await notReloaded(page);
    await page.close();
  } finally {
    await first?.stop();
    await second?.stop();
    await db.drop();
  }
}, 120_000);
