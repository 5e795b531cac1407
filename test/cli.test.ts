// The `jobgraph` executable as people and scripts run it: a real child process against a real
// server over HTTP and WebSocket. trigger --follow exits with the run's outcome (0 succeeded,
// 1 failed, 2 cancelled), --json output parses, errors are one line with the API's code.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTask, getExecution, startTestApp, TEST_SECRET, trigger, waitFor, type TestApp } from "./helpers/app.ts";
import { runJobgraph, startJobgraph } from "./helpers/cli.ts";
import { scriptFolder } from "./helpers/scripts.ts";

let t: TestApp;
let env: NodeJS.ProcessEnv;
const scripts = scriptFolder("jobgraph-cli-");

/** the CLI's numbers are the executions' database ids */
const idOf = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

beforeAll(async () => {
  t = await startTestApp();
  env = { ...process.env, JOBGRAPH_URL: t.url, JOBGRAPH_TOKEN: await t.token("operator", "cli-user") };
  const script = scripts.write(
    "report.mjs", // an ES module: top-level await
    `const p = JSON.parse(process.env.JOBGRAPH_PARAMS || "{}");
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 1; i <= 3; i++) {
  if (p.delayMs) await pause(p.delayMs);
  console.log("working on item " + i);
  console.log("::jobgraph " + JSON.stringify({ progress: i / 3, message: "item " + i, processed: i, total: 3 }));
}
console.error("a warning");
if (p.fail) { console.error("bad input"); process.exit(4); }
console.log("::jobgraph " + JSON.stringify({ result: { items: 3 } }));`,
  );
  await createTask(t, { name: "report", kind: "COMMAND", config: { command: process.execPath, args: [script] }, tags: ["nightly", "reports"], overlapPolicy: "ALLOW" });
  await createTask(t, { name: "slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } }, schedule: { cron: "0 18 * * 1-5", timezone: "Asia/Shanghai" } });
});
afterAll(async () => {
  await t?.stop();
  scripts.remove();
});

describe("trigger --follow exits with the run's outcome", { timeout: 180_000 }, () => {
  test("succeeded: 0, with the live log on stdout and the progress and outcome on stderr", async () => {
    const r = await runJobgraph(["trigger", "report", "--param", "fail=false", "--follow"], env);
    expect(r.stderr).toContain("SUCCEEDED");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("working on item 1");
    expect(r.stdout).toContain("working on item 3");
    expect(r.stdout).not.toContain("::jobgraph");
    expect(r.stderr).toContain("a warning");
    expect(r.stderr).toMatch(/\[#+\]\s+100%/);
    expect(r.stderr).toContain("item 3 (3/3)");
  });

  test("failed: 1, with the error", async () => {
    const r = await runJobgraph(["trigger", "report", "--params-json", '{"fail": true}', "--follow"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("FAILED");
    expect(r.stderr).toContain("bad input");
  });

  test("cancelled (by `jobgraph cancel` from another shell): 2", async () => {
    const follower = startJobgraph(["trigger", "slow", "--follow", "--json"], env);
    let stderr = "";
    follower.child.stderr!.on("data", (d) => (stderr += d));
    // the id is known once the run is there; it is the newest run of "slow"
    const run = await waitFor(async () => {
      const data = await t.ok(`{ task(name: "slow") { executions(first: 1) { edges { node { id status } } } } }`, {}, "viewer");
      const node = data.task.executions.edges[0]?.node;
      return node?.status === "RUNNING" ? node : null;
    }, 20_000, "the run to start");
    const cancel = await runJobgraph(["cancel", idOf(run.id)], env);
    expect(cancel.code, cancel.stderr).toBe(0);
    const r = await follower.result;
    expect(r.code, stderr).toBe(2);
    const final = JSON.parse(r.stdout);
    expect(final).toMatchObject({ id: run.id, status: "CANCELLED" });
  });

  test("timed out: 2", async () => {
    await createTask(t, { name: "too_slow", kind: "HANDLER", config: { handler: "demo.sleep", defaults: { ms: 60_000 } }, timeoutSeconds: 1 });
    const r = await runJobgraph(["trigger", "too_slow", "--follow"], env);
    expect(r.stderr).toContain("TIMED_OUT");
    expect(r.code).toBe(2);
  });

  test("--json without --follow prints the new run", async () => {
    const r = await runJobgraph(["trigger", "report", "--json"], env);
    expect(r.code).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run).toMatchObject({ trigger: "MANUAL", task: { name: "report" } });
    expect(["PENDING", "RUNNING"]).toContain(run.status);
    await waitFor(async () => (await getExecution(t, run.id)).status === "SUCCEEDED", 20_000, "the run to end");
  });
});

describe("reading", { timeout: 180_000 }, () => {
  test("tasks: a table, --json that parses, --tag filters", async () => {
    const table = await runJobgraph(["tasks"], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+KIND\s+SCHEDULE/);
    expect(table.stdout).toMatch(/slow\s+HANDLER\s+cron 0 18 \* \* 1-5 Asia\/Shanghai/);
    const all = JSON.parse((await runJobgraph(["tasks", "--json"], env)).stdout);
    expect(all.map((x: any) => x.name).sort()).toEqual(["report", "slow", "too_slow"]);
    const tagged = JSON.parse((await runJobgraph(["tasks", "--tag", "reports", "--json"], env)).stdout);
    expect(tagged.map((x: any) => x.name)).toEqual(["report"]);
    expect(tagged[0].tags).toEqual(["nightly", "reports"]);
  });

  test("task NAME, runs with filters, logs ID", async () => {
    const task = await runJobgraph(["task", "report"], env);
    expect(task.code).toBe(0);
    expect(task.stdout).toMatch(/^name\s+report$/m);
    expect(task.stdout).toMatch(/^tags\s+nightly, reports$/m);
    const failed = JSON.parse((await runJobgraph(["runs", "--task", "report", "--status", "FAILED", "--since", "24h", "--json"], env)).stdout);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.every((r: any) => r.status === "FAILED" && r.task.name === "report")).toBe(true);
    const none = JSON.parse((await runJobgraph(["runs", "--task", "report", "--since", "2000-01-01", "--status", "TIMED_OUT", "--json"], env)).stdout);
    expect(none).toEqual([]);
    const table = await runJobgraph(["runs", "--task", "report"], env);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TASK\s+STATUS\s+TRIGGER/);
    const logs = await runJobgraph(["logs", idOf(failed[0].id)], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("working on item 2");
    expect(logs.stderr).toContain("bad input");
  });
});

test("logs --follow prints the lines as they come until the run ends", { timeout: 180_000 }, async () => {
  const { task } = await t.ok(`{ task(name: "report") { id } }`, {}, "viewer");
  const started = await trigger(t, task.id, { delayMs: 4000 });
  const follower = startJobgraph(["logs", idOf(started.id), "--follow"], env);
  let out = "";
  follower.child.stdout!.on("data", (d) => (out += d));
  // a line arrives while the run still runs: it is streamed, not read after the end
  await waitFor(async () => out.includes("working on item 1"), 60_000, "the first line");
  expect((await getExecution(t, started.id)).status).toBe("RUNNING");
  const r = await follower.result;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.match(/working on item \d/g)).toEqual(["working on item 1", "working on item 2", "working on item 3"]);
  expect((await getExecution(t, started.id)).status).toBe("SUCCEEDED");
});

describe("operating", { timeout: 180_000 }, () => {
  test("rerun, backfill, pause/resume/disable/enable", async () => {
    const [failed] = JSON.parse((await runJobgraph(["runs", "--task", "report", "--status", "FAILED", "--json", "--limit", "1"], env)).stdout);
    const rerun = await runJobgraph(["rerun", idOf(failed.id), "--param", "fail=false", "--follow", "--json"], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ trigger: "RERUN", status: "SUCCEEDED", rerunOf: { id: failed.id }, params: { fail: false } });

    const backfill = await runJobgraph(["backfill", "slow", "--from", "2026-11-23", "--until", "2026-11-28", "--json"], env);
    expect(backfill.code, backfill.stderr).toBe(0);
    const result = JSON.parse(backfill.stdout);
    // 18:00 in Shanghai (10:00 UTC) on Monday 23 to Friday 27; the weekend has none
    expect(result.created).toBe(5);
    expect(result.executions.map((e: any) => e.scheduledAt)).toEqual(["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"].map((d) => `${d}T10:00:00.000Z`));
    const again = await runJobgraph(["backfill", "slow", "--from", "2026-11-23", "--until", "2026-11-28"], env);
    expect(again.stdout).toContain("created 0, skipped 5");
    await t.ok(`mutation { cancelExecutions(filter: { trigger: [BACKFILL] }) }`, {}, "operator");

    for (const [command, state] of [["pause", "paused"], ["resume", "enabled"], ["disable", "disabled"], ["enable", "enabled"]]) {
      const r = await runJobgraph([command!, "slow"], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`slow: ${state}`);
    }
  });
});

describe("errors and help", { timeout: 180_000 }, () => {
  test("one line with the API's code and exit 3", async () => {
    const missing = await runJobgraph(["trigger", "nope"], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim()).toBe('jobgraph: NOT_FOUND: no task named "nope"');
    const viewer = await runJobgraph(["trigger", "report"], { ...env, JOBGRAPH_TOKEN: await t.token("viewer") });
    expect(viewer.code).toBe(3);
    expect(viewer.stderr).toMatch(/^jobgraph: FORBIDDEN: /);
    expect(viewer.stderr.trim().split("\n")).toHaveLength(1);
    const anonymous = await runJobgraph(["tasks", "--token", ""], { ...env, JOBGRAPH_TOKEN: "" });
    expect(anonymous.stderr).toMatch(/^jobgraph: UNAUTHENTICATED: /);
    const bad = await runJobgraph(["backfill", "slow", "--from", "2026-11-23", "--until", "2099-01-01"], env);
    expect(bad.stderr.trim()).toMatch(/^jobgraph: VALIDATION: .*\(until\)$/);
    const usage = await runJobgraph(["trigger", "report", "--param", "nokey"], env);
    expect(usage.code).toBe(3);
    expect(usage.stderr.trim()).toBe('jobgraph: USAGE: --param takes key=value, got "nokey"');
    const down = await runJobgraph(["tasks"], { ...env, JOBGRAPH_URL: "http://127.0.0.1:9/graphql" });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^jobgraph: UNREACHABLE: /);
  });

  test("--help on every command; `jobgraph token` mints a token the server accepts", async () => {
    const top = await runJobgraph(["--help"], env);
    expect(top.code).toBe(0);
    const commands = ["tasks", "task", "trigger", "runs", "logs", "rerun", "backfill", "cancel", "enable", "disable", "pause", "resume", "token"];
    for (const c of commands) expect(top.stdout).toContain(c);
    const helps = await Promise.all(commands.map((c) => runJobgraph([c, "--help"], env)));
    helps.forEach((h, i) => {
      expect(h.code, commands[i]).toBe(0);
      expect(h.stdout).toContain(`Usage: jobgraph ${commands[i]}`);
    });

    const minted = await runJobgraph(["token", "--role", "operator", "--sub", "alice"], { ...env, JOBGRAPH_JWT_SECRET: TEST_SECRET });
    expect(minted.code, minted.stderr).toBe(0);
    const r = await runJobgraph(["trigger", "report", "--json"], { ...env, JOBGRAPH_TOKEN: minted.stdout.trim() });
    expect(JSON.parse(r.stdout).triggeredBy).toBe("alice");
    const badRole = await runJobgraph(["token", "--role", "root"], { ...env, JOBGRAPH_JWT_SECRET: TEST_SECRET });
    expect(badRole.code).toBe(3);
    // commander's own error (then the command's help, as for every other bad flag), naming the allowed roles
    expect(badRole.stderr.split("\n")[0]).toMatch(/^error: option '--role <role>' argument 'root' is invalid\. Allowed choices are viewer, operator, admin\.$/);
  });
});
