// The README's examples of "Operating runs" (GraphQL) and "The command line" (shell) work as
// written: each GraphQL block runs in order against a real server holding the fixture the README
// describes, then each `npx jobgraph …` line runs as the real executable (bin/jobgraph.mjs, what
// npx starts), exiting 0.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT } from "../src/app.ts";
import { createTask, startTestApp, TEST_SECRET, trigger, waitFor, waitForFinal, type TestApp } from "./helpers/app.ts";
import { runJobgraph } from "./helpers/cli.ts";

let t: TestApp;

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

/** the fenced blocks of one language in the README section titled `title` */
function blocks(title: string, lang: string): string[] {
  const start = readme.indexOf(`\n## ${title}`);
  expect(start, `README section "${title}"`).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

/** splits a shell line into words: spaces separate, single quotes keep */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

beforeAll(async () => {
  t = await startTestApp();
  // the fixture the README describes: Task:1 with a failed run #1; Task:2, a workflow whose run #2 failed in its second step
  const bars = await createTask(t, {
    name: "sync_daily_bars",
    kind: "HANDLER",
    config: { handler: "demo.countdown", defaults: { steps: 3, stepMs: 20 } },
    schedule: { cron: "0 18 * * 1-5", timezone: "Asia/Shanghai" },
    tags: ["nightly"],
  });
  expect(bars.id).toBe("VGFzazox");
  const first = await waitForFinal(t, (await trigger(t, bars.id, { steps: "x" })).id);
  expect([first.id, first.status]).toEqual(["RXhlY3V0aW9uOjE=", "FAILED"]);
  const nightly = await createTask(t, {
    name: "nightly",
    kind: "WORKFLOW",
    config: {
      mode: "SERIAL",
      steps: [
        { id: "bars", task: "sync_daily_bars", params: { steps: 1 } },
        { id: "report", task: "sync_daily_bars", dependsOn: ["bars"], params: { steps: "x" } },
      ],
    },
  });
  expect(nightly.id).toBe("VGFzazoy");
  const wf = await waitForFinal(t, (await trigger(t, nightly.id)).id);
  expect([wf.id, wf.status]).toEqual(["RXhlY3V0aW9uOjI=", "FAILED"]);
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

const idle = () =>
  waitFor(async () => {
    const d = await t.ok(`{ executions(filter: { status: [PENDING, RUNNING] }) { totalCount } }`, {}, "viewer");
    return d.executions.totalCount === 0;
  }, 30_000, "no active runs");

test("the GraphQL examples of “Operating runs”, in order", async () => {
  const examples = blocks("Operating runs", "graphql");
  expect(examples.length).toBeGreaterThanOrEqual(6);
  const results: any[] = [];
  for (const query of examples) {
    const r = await t.gql(query, {}, "admin");
    expect(r.errors, query).toBeUndefined();
    results.push(r.data);
    await idle();
  }
  const [rerun, fromFailure, backfill] = results;
  expect(rerun.rerunExecution).toMatchObject({ trigger: "RERUN", params: { steps: 2 }, rerunOf: { id: "RXhlY3V0aW9uOjE=" } });
  const steps = Object.fromEntries(fromFailure.rerunExecution.children.edges.map((e: any) => [e.node.stepId, e.node]));
  expect(steps.bars).toMatchObject({ status: "SUCCEEDED", trigger: "RERUN" });
  expect((await waitForFinal(t, fromFailure.rerunExecution.id)).status).toBe("SUCCEEDED");
  expect(backfill.backfillTask).toMatchObject({ created: 5, skipped: 0 });
}, 120_000);

test("the shell example of “The command line”, line by line", async () => {
  const [script] = blocks("The command line", "sh");
  const lines = script!.split("\n").map((l) => l.trim()).filter(Boolean);
  const env: NodeJS.ProcessEnv = { ...process.env, JOBGRAPH_JWT_SECRET: TEST_SECRET };
  await idle();
  for (const line of lines) {
    const exported = /^export (\w+)=(.*)$/.exec(line);
    if (exported) {
      const sub = /^\$\(npx jobgraph (.*)\)$/.exec(exported[2]!);
      if (sub) {
        const r = await runJobgraph(words(sub[1]!), env);
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
        env[exported[1]!] = r.stdout.trim();
      } else {
        // the server of this test stands where the README's does
        env[exported[1]!] = exported[1] === "JOBGRAPH_URL" ? t.url : exported[2]!;
      }
      continue;
    }
    expect(line.startsWith("npx jobgraph "), line).toBe(true);
    const r = await runJobgraph(words(line.slice("npx jobgraph ".length)), env);
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    if (line.includes("--json")) expect(() => JSON.parse(r.stdout)).not.toThrow();
    await idle();
  }
}, 300_000);
