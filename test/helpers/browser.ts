// Headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core, with
// the flags this machine needs: no sandbox as root, and no background traffic to hosts a closed
// network refuses. Playwright gives every launch a fresh, empty profile of its own.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "../../src/app.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, ".screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** writes .screenshots/<name>.png (git-ignored) for a reviewer to look at */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Opens `url` in a fresh context (empty sessionStorage) and, with `signedIn`, waits until the
 * page shows who is signed in (`beforeLoad` may listen to the page before it loads). The page gets a marker that a reload would wipe, so a test can tell that
 * something updated live, without a reload (stillSameLoad).
 */
export async function openDashboard(browser: Browser, url: string, opts: { signedIn: boolean; beforeLoad?(page: Page): void }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  opts.beforeLoad?.(page);
  await page.goto(url);
  if (opts.signedIn) await page.getByTestId("who").waitFor();
  await page.evaluate(() => ((window as unknown as { loadMarker: number }).loadMarker = 42));
  return page;
}

/** true while the page has not been reloaded since openDashboard (or markLoad) */
export const stillSameLoad = (page: Page): Promise<boolean> =>
  page.evaluate(() => (window as unknown as { loadMarker?: number }).loadMarker === 42);

export const markLoad = (page: Page): Promise<void> =>
  page.evaluate(() => void ((window as unknown as { loadMarker: number }).loadMarker = 42));
