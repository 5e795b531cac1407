// The command line as an operator meets it: help, mistakes answered with one line and a non-zero
// exit (never a stack trace), tokens that expire unless asked not to. Real processes.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { expect, test } from "vitest";
import { runCli, runNpm, type CliResult } from "../helpers/cli.ts";

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? os.tmpdir(),
  JOBGRAPH_JWT_SECRET: "cli-test-secret-that-is-at-least-32-characters",
  JOBGRAPH_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "jobgraph-cli-")),
  LOG_LEVEL: "silent",
  ...extra,
});

/** exit code 1 and exactly one line on stderr, nothing on stdout */
function expectOneLineFailure(r: CliResult): string {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^jobgraph: /);
  return lines[0]!;
}

/** a port nobody listens on (taken from the system, then released) */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test("`npm run token -- --help` prints the options and exits 0", async () => {
  const r = await runNpm("token", ["--help"], env());
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^Usage: jobgraph token \[options\]/);
  expect(r.stdout).toMatch(/--role <role>.*"viewer", "operator",\s+"admin"/s);
  expect(r.stdout).toMatch(/--expires <duration>.*never.*\(default: "30d"\)/s);
  const top = await runCli(["--help"], env());
  expect(top.code).toBe(0);
  for (const command of ["start", "migrate", "print-schema", "token"]) expect(top.stdout).toContain(`  ${command}`);
}, 60_000);

test("a bad flag, a bad role, an unknown command and a bad variable: one line each, exit 1", async () => {
  const [flag, role, subject, command, variable] = await Promise.all([
    runCli(["token", "--role", "admin", "--bad"], env()),
    runCli(["token", "--role", "boss"], env()),
    runCli(["token", "--role", "admin", "--sub", " "], env()),
    runCli(["frobnicate"], env()),
    runCli(["start"], env({ PORT: "eighty" })),
  ]);
  expect(expectOneLineFailure(flag)).toBe("jobgraph: unknown option '--bad'");
  expect(expectOneLineFailure(role)).toMatch(/'--role <role>' argument 'boss' is invalid\. Allowed choices are viewer, operator, admin/);
  expect(expectOneLineFailure(subject)).toBe("jobgraph: option '--sub <subject>' argument ' ' is invalid. the subject must not be empty");
  expect(expectOneLineFailure(command)).toBe("jobgraph: unknown command 'frobnicate'");
  expect(expectOneLineFailure(variable)).toBe("jobgraph: invalid PORT: must be a whole number");
}, 60_000);

test("`token` without --role refuses instead of minting a viewer token", async () => {
  expect(expectOneLineFailure(await runCli(["token", "--sub", "alice"], env()))).toBe("jobgraph: required option '--role <role>' not specified");
}, 60_000);

test("tokens expire after 30 days unless --expires says otherwise; never means no expiry", async () => {
  const mint = async (...extra: string[]) => {
    const r = await runCli(["token", "--role", "operator", "--sub", "bob", ...extra], env());
    expect(r.code, r.stderr).toBe(0);
    return decodeJwt(r.stdout.trim());
  };
  const [byDefault, halfDay, week, never] = await Promise.all([mint(), mint("--expires", "12h"), mint("--expires", "7d"), mint("--expires", "never")]);
  expect(byDefault).toMatchObject({ sub: "bob", role: "operator" });
  expect(byDefault.exp! - byDefault.iat!).toBe(30 * 86_400);
  expect(halfDay.exp! - halfDay.iat!).toBe(12 * 3600);
  expect(week.exp! - week.iat!).toBe(7 * 86_400);
  expect(never.exp).toBeUndefined();
  const bad = await runCli(["token", "--role", "viewer", "--expires", "soon"], env());
  expect(expectOneLineFailure(bad)).toMatch(/--expires <duration>' argument 'soon' is invalid\. "soon" is not a lifetime: use a number with s, m, h, d or w/);
}, 60_000);

test("an unreachable database: `migrate` and `start` end with one line saying so", async () => {
  const port = await closedPort();
  const url = `postgresql://postgres@127.0.0.1:${port}/jobs`;
  const [migrate, start] = await Promise.all([runCli(["migrate"], env({ DATABASE_URL: url })), runCli(["start"], env({ DATABASE_URL: url, PORT: "0" }))]);
  for (const r of [migrate, start]) {
    expect(expectOneLineFailure(r)).toBe(`jobgraph: cannot reach PostgreSQL at 127.0.0.1:${port} (connection refused): is it running, and are DATABASE_URL's host and port right?`);
  }
}, 60_000);
