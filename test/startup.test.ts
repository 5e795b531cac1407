// Start-up refuses, with one line and exit code 1, what would otherwise corrupt data or die with a
// stack trace: a second process on one embedded data folder, a busy port, a database named in
// DATABASE_URL that does not exist. Real service processes.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { runCli, type CliResult } from "./helpers/cli.ts";
import { createTestDatabase, testBackend } from "./helpers/database.ts";
import { serviceEnv, startService, type Service } from "./helpers/service.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** exit code 1 and exactly one line on stderr */
function oneLineFailure(r: CliResult): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

async function running(db: Awaited<ReturnType<typeof createTestDatabase>>): Promise<Service> {
  const service = await startService(db);
  cleanups.push(() => service.kill());
  return service;
}

test("a busy port ends start-up with one line", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
  const { port } = squatter.address() as { port: number };
  const r = await runCli(["start"], serviceEnv(db, { PORT: String(port), LOG_LEVEL: "silent" }));
  expect(oneLineFailure(r)).toBe(`jobgraph: port ${port} on 127.0.0.1 is already in use: stop what listens there or set PORT to another port`);
}, 120_000);

describe.runIf(testBackend() === "pglite")("one process per embedded data folder", () => {
  test("a second process refuses with one line naming the first; a stale lock of a dead pid is taken over", async () => {
    const db = await createTestDatabase({ persistent: true });
    const lock = `${(db.target as { pgliteDir: string }).pgliteDir}.lock`;
    const first = await running(db);
    expect(readFileSync(lock, "utf8").trim()).toBe(String(first.proc.pid));

    const second = await runCli(["start"], serviceEnv(db, { PORT: "0", LOG_LEVEL: "silent" }));
    expect(oneLineFailure(second)).toBe(
      `jobgraph: the embedded database in ${(db.target as { pgliteDir: string }).pgliteDir} is in use by process ${first.proc.pid} ` +
        `(lock file ${lock}); stop that process or set another JOBGRAPH_DATA_DIR (several instances need PostgreSQL: DATABASE_URL)`,
    );
    // the first one is untouched and still answers
    expect(await first.gql(`{ scheduler { paused } }`)).toEqual({ scheduler: { paused: false } });

    // SIGKILL leaves the lock behind; its pid is dead, so the next start takes it over
    first.proc.kill("SIGKILL");
    await first.exited;
    expect(readFileSync(lock, "utf8").trim()).toBe(String(first.proc.pid));
    const third = await running(db);
    expect(readFileSync(lock, "utf8").trim()).toBe(String(third.proc.pid));
    expect(await third.gql(`{ scheduler { paused } }`)).toEqual({ scheduler: { paused: false } });
    // a clean stop releases it
    third.proc.kill("SIGTERM");
    expect(await third.exited).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 180_000);
});

describe.runIf(testBackend() === "postgres")("a database that does not exist", () => {
  test("`migrate` and `start` say how to create it", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = "/jobgraph_missing_db";
    const env = { ...process.env, DATABASE_URL: url.toString(), PORT: "0", LOG_LEVEL: "silent", JOBGRAPH_JWT_SECRET: "x".repeat(32) };
    const expected =
      `jobgraph: database "jobgraph_missing_db" does not exist on ${url.hostname}:${url.port || 5432}; create it with ` +
      `\`createdb -h ${url.hostname} -p ${url.port || 5432} -U ${url.username} jobgraph_missing_db\` or, in psql, \`CREATE DATABASE "jobgraph_missing_db";\``;
    for (const command of ["migrate", "start"]) expect(oneLineFailure(await runCli([command], env))).toBe(expected);
  }, 60_000);
});
