// Shared by the benchmarks: percentiles, a table, and the comparison with the previous run
// (kept in .bench/<name>.json).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Figure {
  name: string;
  unit: string;
  median: number;
  p95: number;
  p99: number;
  /** operations per second, where it means something */
  throughput?: number;
  samples: number;
}

export function summarize(name: string, unit: string, samples: number[], throughput?: number): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { name, unit, median: at(0.5), p95: at(0.95), p99: at(0.99), throughput, samples: sorted.length };
}

const fmt = (n: number | undefined) => (n === undefined ? "-" : n >= 100 ? n.toFixed(0) : n.toFixed(2));

export function report(bench: string, figures: Figure[], context: Record<string, unknown>): void {
  const dir = path.resolve(".bench");
  const file = path.join(dir, `${bench}.json`);
  const previous: { figures: Figure[]; at: string } | null = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
  console.log(`\n${bench} — ${Object.entries(context).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  console.log(["figure".padEnd(40), "median", "p95", "p99", "ops/s", previous ? `median vs ${previous.at}` : ""].join("\t"));
  for (const f of figures) {
    const before = previous?.figures.find((p) => p.name === f.name);
    const change = before ? `${(((f.median - before.median) / before.median) * 100).toFixed(1)}% (was ${fmt(before.median)})` : "";
    console.log([`${f.name} (${f.unit})`.padEnd(40), fmt(f.median), fmt(f.p95), fmt(f.p99), fmt(f.throughput), change].join("\t"));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), context, figures }, null, 2));
}

/** The settings every benchmark's app shares (over `loadConfig({})`): an ephemeral port, a temp
 *  data folder, a fixed secret, no demo tasks, no logs. */
export function benchSettings(prefix: string, concurrency: number) {
  return {
    port: 0,
    dataDir: mkdtempSync(path.join(os.tmpdir(), `${prefix}-`)),
    jwtSecret: "bench-secret-bench-secret-bench-secret!",
    demo: false,
    logLevel: "silent",
    concurrency,
    // every run is kept (the default keeps 10,000 per task, and a drain of 20,000 of one task
    // would have retention deleting rows beside it)
    retentionPerTask: 0,
  };
}
