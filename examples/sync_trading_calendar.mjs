#!/usr/bin/env node
// Example COMMAND task: pretends to sync a trading calendar (weekdays from a start date), reporting
// progress with the `::jobgraph {json}` stdout protocol. No network.
// Params (JOBGRAPH_PARAMS): { count, delayMs, start: "YYYY-MM-DD" }.
const params = parseParams();
const count = clampInt(params.count, 20, 0, 10_000);
const delayMs = clampInt(params.delayMs, 100, 0, 60_000);
const start = typeof params.start === "string" && /^\d{4}-\d{2}-\d{2}$/.test(params.start)
  ? new Date(`${params.start}T00:00:00Z`)
  : new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1));

const report = (msg) => console.log(`::jobgraph ${JSON.stringify(msg)}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const iso = (d) => d.toISOString().slice(0, 10);

console.log(`sync_trading_calendar: execution ${process.env.JOBGRAPH_EXECUTION_ID ?? "?"}, ${count} days from ${iso(start)}`);

const day = new Date(start);
let tradingDays = 0;
let holidays = 0;
for (let i = 0; i < count; i++) {
  await sleep(delayMs);
  const weekday = day.getUTCDay();
  const date = iso(day);
  if (weekday === 0 || weekday === 6) {
    holidays++;
  } else if (date.endsWith("-01-01") || date.endsWith("-12-25")) {
    holidays++;
    console.log(`${date}: market holiday`);
  } else {
    tradingDays++;
  }
  report({
    progress: (i + 1) / count,
    message: `checked ${i + 1} of ${count} days`,
    processed: i + 1,
    total: count,
    currentItem: date,
  });
  day.setUTCDate(day.getUTCDate() + 1);
}

console.log("sync_trading_calendar: done");
report({ result: { from: iso(start), days: count, tradingDays, holidays } });

function parseParams() {
  try {
    const value = JSON.parse(process.env.JOBGRAPH_PARAMS ?? "{}");
    return value && typeof value === "object" ? value : {};
  } catch {
    console.error("JOBGRAPH_PARAMS is not valid JSON; using defaults");
    return {};
  }
}

function clampInt(value, fallback, min, max) {
  return Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
}
