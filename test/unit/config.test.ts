// loadConfig: environment → typed config, and the one-line refusal to start on a bad value.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { runCli } from "../helpers/cli.ts";


function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  test("defaults (API.md's table)", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: "127.0.0.1",
      databaseUrl: undefined,
      jwtSecret: undefined,
      concurrency: 10,
      demo: true, // PGlite: demo tasks on
      logLevel: "info",
      leaseMs: 30_000,
      shutdownGraceMs: 10_000,
      killGraceMs: 5_000,
      pollMs: 2000,
      catchUpWindowMs: 24 * 3600_000,
      catchUpMax: 100,
      retentionDays: 30,
      retentionPerTask: 10_000,
      maxLogLines: 2000,
    });
    expect(c.dataDir).toBe(path.resolve("./data"));
  });

  test("values are parsed and converted", () => {
    const c = loadConfig({
      PORT: "8080",
      HOST: "0.0.0.0",
      DATABASE_URL: "postgresql://u:p@db:5432/jobs",
      JOBGRAPH_DATA_DIR: "/var/lib/jobgraph",
      JOBGRAPH_JWT_SECRET: "x".repeat(32),
      JOBGRAPH_CONCURRENCY: "3",
      LOG_LEVEL: "debug",
      JOBGRAPH_LEASE_SECONDS: "5",
      JOBGRAPH_POLL_MS: "100",
      JOBGRAPH_CATCH_UP_WINDOW_SECONDS: "60",
    });
    expect(c).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      databaseUrl: "postgresql://u:p@db:5432/jobs",
      dataDir: "/var/lib/jobgraph",
      jwtSecret: "x".repeat(32),
      concurrency: 3,
      demo: false, // PostgreSQL: demo off by default
      logLevel: "debug",
      leaseMs: 5000,
      pollMs: 100,
      catchUpWindowMs: 60_000,
    });
    expect(loadConfig({ DATABASE_URL: "postgres://localhost/x" }).databaseUrl).toBe("postgres://localhost/x");
  });

  test("JOBGRAPH_DEMO overrides the backend default", () => {
    expect(loadConfig({ JOBGRAPH_DEMO: "0" }).demo).toBe(false);
    expect(loadConfig({ JOBGRAPH_DEMO: "false" }).demo).toBe(false);
    expect(loadConfig({ JOBGRAPH_DEMO: "1", DATABASE_URL: "postgresql://localhost/x" }).demo).toBe(true);
    expect(loadConfig({ JOBGRAPH_DEMO: "true" }).demo).toBe(true);
  });

  test("an empty value counts as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "", JOBGRAPH_JWT_SECRET: "" })).toMatchObject({ port: 4000, databaseUrl: undefined, jwtSecret: undefined });
  });

  test("an invalid value throws ConfigError naming the variable, in one line", () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: "abc" }, "PORT"],
      [{ PORT: "70000" }, "PORT"],
      [{ PORT: "-1" }, "PORT"],
      [{ PORT: "80.5" }, "PORT"],
      [{ DATABASE_URL: "mysql://localhost/x" }, "DATABASE_URL"],
      [{ JOBGRAPH_JWT_SECRET: "too-short" }, "JOBGRAPH_JWT_SECRET"],
      [{ JOBGRAPH_CONCURRENCY: "0" }, "JOBGRAPH_CONCURRENCY"],
      [{ JOBGRAPH_CONCURRENCY: "ten" }, "JOBGRAPH_CONCURRENCY"],
      [{ JOBGRAPH_DEMO: "yes" }, "JOBGRAPH_DEMO"],
      [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
      [{ JOBGRAPH_POLL_MS: "10" }, "JOBGRAPH_POLL_MS"],
      [{ JOBGRAPH_LEASE_SECONDS: "1" }, "JOBGRAPH_LEASE_SECONDS"],
    ];
    for (const [env, variable] of cases) {
      const e = configError(env);
      expect(e.variable).toBe(variable);
      expect(e.message).toMatch(new RegExp(`^invalid ${variable}: \\S`));
      expect(e.message).not.toContain("\n");
    }
    expect(configError({ PORT: "abc" }).message).toBe("invalid PORT: must be a whole number");
    expect(configError({ JOBGRAPH_JWT_SECRET: "short" }).message).toBe("invalid JOBGRAPH_JWT_SECRET: must be at least 32 characters");
  });
});

test("`jobgraph start` with PORT=abc refuses to start: exit code 1 and one stderr line naming PORT", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-config-"));
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), PORT: "abc", JOBGRAPH_DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  const { code, stdout, stderr } = await runCli(["start"], env);
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr.trim().split("\n")).toEqual(["jobgraph: invalid PORT: must be a whole number"]);
}, 60_000);
