#!/usr/bin/env node
// Example COMMAND task: pretends to sync a stock list, reporting progress with the
// `::jobgraph {json}` stdout protocol. No network. Params (JOBGRAPH_PARAMS): { count, delayMs, failAt }.
// The list is the one of the day the run is for (JOBGRAPH_SCHEDULED_AT), not of the day it runs.
const params = parseParams();
const count = clampInt(params.count, 20, 0, 10_000);
const delayMs = clampInt(params.delayMs, 100, 0, 60_000);
const failAt = Number.isInteger(params.failAt) ? params.failAt : -1; // to demo a failing run
const asOf = logicalDate();

const TICKERS = [
  "AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA", "BRK.B", "JPM", "V",
  "JNJ", "WMT", "PG", "MA", "UNH", "HD", "XOM", "KO", "PEP", "COST",
  "ORCL", "ADBE", "CRM", "NFLX", "INTC", "AMD", "CSCO", "QCOM", "TXN", "IBM",
];

const report = (msg) => console.log(`::jobgraph ${JSON.stringify(msg)}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

console.log(`sync_stock_list: execution ${process.env.JOBGRAPH_EXECUTION_ID ?? "?"}, ${count} symbols as of ${asOf}`);
report({ progress: 0, message: "fetching symbol list", processed: 0, total: count });

let inserted = 0;
let updated = 0;
for (let i = 0; i < count; i++) {
  const base = TICKERS[i % TICKERS.length];
  const symbol = i < TICKERS.length ? base : `${base}.${Math.floor(i / TICKERS.length)}`;
  await sleep(delayMs);
  if (i === failAt) {
    console.error(`upstream returned garbage for ${symbol}`);
    process.exit(2);
  }
  if (i % 3 === 0) inserted++;
  else updated++;
  if (i % 5 === 0) console.log(`upserted ${symbol}`);
  report({
    progress: (i + 1) / count,
    message: `synced ${i + 1} of ${count}`,
    processed: i + 1,
    total: count,
    currentItem: symbol,
  });
}

console.log("sync_stock_list: done");
report({ result: { asOf, symbols: count, inserted, updated } });

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
