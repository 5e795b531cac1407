// The pure parts of backfill and rerun-from-failure: which nominal fire times a range holds, and
// which steps of an earlier workflow run a rerun takes over.
import { describe, expect, test } from "vitest";
import type { Execution } from "../../src/generated/prisma/client.ts";
import { firesBetween } from "../../src/scheduler/fires-between.ts";
import { reusableSteps } from "../../src/workflows/plan.ts";
import { workflowConfig } from "../../src/tasks/config-schemas.ts";

const at = (iso: string) => new Date(iso);
const iso = (d: Date[]) => d.map((x) => x.toISOString());
const cron = (expr: string, timezone = "UTC") => ({ cron: expr, intervalSeconds: null, runAt: null, timezone });

describe("firesBetween", () => {
  test("cron: [from, until), from included, until excluded, in the task's time zone", () => {
    const r = firesBetween(cron("0 18 * * 1-5", "Asia/Shanghai"), at("2026-11-27T10:00:00Z"), at("2026-12-01T10:00:00Z"), 100);
    expect(iso(r.fires)).toEqual(["2026-11-27T10:00:00.000Z", "2026-11-30T10:00:00.000Z"]);
    expect(r.truncated).toBe(false);
  });

  test("stops at max and says so", () => {
    const r = firesBetween(cron("* * * * *"), at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 1000);
    expect(r.fires).toHaveLength(1000);
    expect(r.truncated).toBe(true);
    expect(firesBetween(cron("* * * * *"), at("2026-01-01T00:00:00Z"), at("2026-01-01T00:10:00Z"), 10)).toMatchObject({ truncated: false });
  });

  test("interval: anchored fire times before and after the anchor; a one-off only when in range", () => {
    const every = { cron: null, intervalSeconds: 3600, runAt: null, timezone: "UTC" };
    const anchor = at("2026-02-01T10:30:00Z");
    expect(iso(firesBetween(every, at("2026-01-01T10:00:00Z"), at("2026-01-01T13:00:00Z"), 10, anchor).fires)).toEqual([
      "2026-01-01T10:30:00.000Z",
      "2026-01-01T11:30:00.000Z",
      "2026-01-01T12:30:00.000Z",
    ]);
    expect(iso(firesBetween(every, at("2026-03-01T10:30:00Z"), at("2026-03-01T11:30:00Z"), 10, anchor).fires)).toEqual(["2026-03-01T10:30:00.000Z"]);
    const once = { cron: null, intervalSeconds: null, runAt: at("2026-01-01T05:00:00Z"), timezone: "UTC" };
    expect(firesBetween(once, at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 10).fires).toHaveLength(1);
    expect(firesBetween(once, at("2026-01-02T00:00:00Z"), at("2026-01-03T00:00:00Z"), 10).fires).toHaveLength(0);
  });
});

describe("reusableSteps", () => {
  const config = workflowConfig.parse({
    steps: [
      { id: "a", task: "ta" },
      { id: "b", task: "tb", dependsOn: ["a"] },
      { id: "c", task: "tc", dependsOn: ["a"] },
      { id: "d", task: "td", dependsOn: ["c"] },
    ],
  });
  const tasks = new Map([["ta", 1], ["tb", 2], ["tc", 3], ["td", 4]]);
  let id = 0;
  const child = (stepId: string, taskId: number, status: Execution["status"], attempt = 1) => ({ id: ++id, stepId, taskId, status, attempt }) as Execution;

  test("the latest attempt SUCCEEDED, same task, and every dependency taken over too", () => {
    const children = [child("a", 1, "SUCCEEDED"), child("b", 2, "FAILED"), child("c", 3, "FAILED"), child("c", 3, "SUCCEEDED", 2), child("d", 4, "SKIPPED")];
    expect([...reusableSteps(config, children, tasks).keys()]).toEqual(["a", "c"]);
    // a step that now runs another task is run again, and so is what depends on it
    expect([...reusableSteps(config, children, new Map([...tasks, ["ta", 9]])).keys()]).toEqual([]);
    // a succeeded step behind one that is run again is run again too (the config changed since)
    const moved = workflowConfig.parse({ steps: [{ id: "b", task: "tb" }, { id: "a", task: "ta", dependsOn: ["b"] }] });
    expect([...reusableSteps(moved, children, tasks).keys()]).toEqual([]);
  });
});
