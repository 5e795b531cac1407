#!/usr/bin/env node
// Example COMMAND task: "syncs" a trading calendar and hands it to jobgraph with the protocol
// line `::jobgraph {"calendar":{"name","from","until","tradingDays":[…]}}`, applied when the run
// succeeds. No network.
//
// SAMPLE DATA, NOT AN EXCHANGE'S CALENDAR: trading days are the weekdays minus the fixed sample
// holidays below. A real sync prints the same line with the days it downloaded.
// Params (JOBGRAPH_PARAMS): { name: "XSHG", from: "YYYY-MM-DD", until: "YYYY-MM-DD", delayMs }.
// Default range: 1 January of the run's year (its logical time, JOBGRAPH_SCHEDULED_AT; today when
// run by hand) to 31 December of the next year.
const SAMPLE_HOLIDAYS = ["01-01", "05-01", "05-02", "05-03", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07", "12-25"];

const params = parseParams();
const year = new Date(process.env.JOBGRAPH_SCHEDULED_AT ?? Date.now()).getUTCFullYear() || new Date().getUTCFullYear();
const isDate = (v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v);
const name = typeof params.name === "string" ? params.name : "XSHG";
const from = isDate(params.from) ? params.from : `${year}-01-01`;
const until = isDate(params.until) ? params.until : `${year + 1}-12-31`;
const delayMs = Number.isInteger(params.delayMs) ? Math.min(60_000, Math.max(0, params.delayMs)) : 20;

const report = (msg) => console.log(`::jobgraph ${JSON.stringify(msg)}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const iso = (d) => d.toISOString().slice(0, 10);

console.log(`sync_trading_calendar: execution ${process.env.JOBGRAPH_EXECUTION_ID ?? "?"}, ${name} ${from}..${until} (SAMPLE DATA: weekdays minus sample holidays)`);

const tradingDays = [];
let holidays = 0;
const end = new Date(`${until}T00:00:00Z`);
const total = Math.round((end - new Date(`${from}T00:00:00Z`)) / 86_400_000) + 1;
let done = 0;
for (const day = new Date(`${from}T00:00:00Z`); day <= end; day.setUTCDate(day.getUTCDate() + 1)) {
  const date = iso(day);
  const weekday = day.getUTCDay();
  if (weekday !== 0 && weekday !== 6) {
    if (SAMPLE_HOLIDAYS.includes(date.slice(5))) holidays++;
    else tradingDays.push(date);
  }
  done++;
  if (date.endsWith("-01") || done === total) {
    await sleep(delayMs);
    report({ progress: done / total, message: `checked ${done} of ${total} days`, processed: done, total, currentItem: date.slice(0, 7) });
  }
}

report({ calendar: { name, from, until, tradingDays } });
report({ result: { name, from, until, tradingDays: tradingDays.length, sampleHolidays: holidays, sampleData: true } });
console.log("sync_trading_calendar: done");

function parseParams() {
  try {
    const value = JSON.parse(process.env.JOBGRAPH_PARAMS ?? "{}");
    return value && typeof value === "object" ? value : {};
  } catch {
    console.error("JOBGRAPH_PARAMS is not valid JSON; using defaults");
    return {};
  }
}
