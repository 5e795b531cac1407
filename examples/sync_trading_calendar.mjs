#!/usr/bin/env node
// Example COMMAND task: pretends to sync a trading calendar (weekdays from a start date), reporting
// progress with the `::jobgraph {json}` stdout protocol. No network.
// Params (JOBGRAPH_PARAMS): { count, delayMs, start: "YYYY-MM-DD" }; `start` defaults to the day the
// run is for (JOBGRAPH_SCHEDULED_AT).
const params = parseParams();
const count = clampInt(params.count, 20, 0, 10_000);
const delayMs = clampInt(params.delayMs, 100, 0, 60_000);
const start = new Date(`${typeof params.start === "string" && /^\d{4}-\d{2}-\d{2}$/.test(params.start) ? params.start : logicalDate()}T00:00:00Z`);

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

// The day this run is for, in UTC: jobgraph passes the run's logical time (the nominal fire time,
// so a catch-up or a backfill of Monday processes Monday) as JOBGRAPH_SCHEDULED_AT; today when
// the script is run by hand.
function logicalDate() {
  const at = new Date(process.env.JOBGRAPH_SCHEDULED_AT ?? Date.now());
  return Number.isNaN(at.getTime()) ? new Date().toISOString().slice(0, 10) : at.toISOString().slice(0, 10);
}
