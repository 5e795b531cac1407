// Claiming ahead (scheduler/runner.ts): while the backlog is deep and the runs are short, a
// runner claims more runs than it has free slots; they wait RUNNING under its lease and take
// the slots as they free up. What must hold: never more runs executing than the concurrency,
// each run once, its recorded start when it really began, a run that waits too long handed back
// (RUNNING → PENDING) and run later, a cancel asked while it waits honoured without running it,
// and on stop the waiting runs handed back for the next instance. Real engine, both databases.
import { afterEach, expect, test } from "vitest";
import { createDefaultHandlerRegistry } from "../src/executors/handlers/registry.ts";
import type { Execution } from "../src/generated/prisma/client.ts";
import { decodeId, encodeId } from "../src/graphql/ids.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { createTask, startTestApp, waitFor, type TestApp } from "./helpers/app.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** a handler that counts what runs at once, and holds the run whose params say `hold` */
function stepHandler() {
  const ran: number[] = [];
  let executing = 0;
  let most = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let holding = false;
  const handlers = createDefaultHandlerRegistry().register("test.step", async (ctx) => {
    executing++;
    most = Math.max(most, executing);
    ran.push(ctx.executionId);
    try {
      if (ctx.params.hold) {
        holding = true;
        await gate;
      }
      return { ok: true };
    } finally {
      executing--;
    }
  });
  return { handlers, ran, release, most: () => most, holding: () => holding };
}

/** every status each run went through, from the engine's own events */
function statusLog(t: TestApp) {
  const seen = new Map<number, string[]>();
  const off = t.app.services.bus.on("executionStatus", "*", (row: Execution) => {
    seen.set(row.id, [...(seen.get(row.id) ?? []), row.status]);
  });
  cleanups.push(off);
  return seen;
}

/** `n` runs written in one statement (a deep backlog from the start); run number `hold` (1-based)
 *  holds its slot until released, so the runs after it are claimed ahead and wait behind it */
async function backlog(t: TestApp, n: number, hold?: number): Promise<number[]> {
  const task = await createTask(t, { name: "steps", kind: "HANDLER", config: { handler: "test.step" }, overlapPolicy: "ALLOW" });
  const taskId = decodeId(task.id, "Task", "id");
  await t.app.db.prisma.$executeRawUnsafe(
    `INSERT INTO "Execution" ("taskId", trigger, manual, "scheduledAt", "runAfter", "updatedAt", params)
     SELECT ${taskId}, 'MANUAL', true, now(), now(), now(), CASE WHEN g = ${hold ?? 0} THEN '{"hold": true}'::jsonb END
     FROM generate_series(1, ${n}) g`,
  );
  t.app.engine.wakeRunner();
  return (await t.app.db.prisma.execution.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((r) => r.id);
}

const rowsOf = (t: TestApp) => t.app.db.prisma.execution.findMany({ orderBy: { id: "asc" } });

test("runs claimed ahead wait for a slot, run once each, never beyond the concurrency, and record when they really began", async () => {
  const step = stepHandler();
  const t = await startTestApp({ config: { concurrency: 2 }, options: { handlers: step.handlers } });
  cleanups.push(() => t.stop());
  const claimed = new Map<number, number>();
  cleanups.push(t.app.services.bus.on("executionStatus", "*", (row: Execution) => void (row.status === "RUNNING" && claimed.set(row.id, row.startedAt!.getTime()))));
  const ids = await backlog(t, 200);
  const rows = await waitFor(async () => {
    const all = await rowsOf(t);
    return all.every((r) => r.status === "SUCCEEDED") ? all : null;
  }, 60_000, "all 200 runs to succeed");
  expect(step.most()).toBeLessThanOrEqual(2);
  expect(step.ran.toSorted((a, b) => a - b)).toEqual(ids);
  // the claim's event says when it was claimed; a run that waited for its slot got its real
  // start from its finish
  const waited = rows.filter((r) => r.startedAt!.getTime() > claimed.get(r.id)!);
  expect(waited.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(r.startedAt!.getTime()).toBeGreaterThanOrEqual(claimed.get(r.id)!);
    expect(r.durationMs).toBe(r.finishedAt!.getTime() - r.startedAt!.getTime());
  }
}, 90_000);

test("a run waiting too long behind a slow one is handed back and run later; a cancel asked while it waits ends it unrun", async () => {
  const step = stepHandler();
  const t = await startTestApp({ config: { concurrency: 1 }, options: { handlers: step.handlers } });
  cleanups.push(() => t.stop());
  const seen = statusLog(t);
  const ids = await backlog(t, 40, 20);
  const held = ids[19]!;
  const after = ids.slice(20);
  // the held run has the slot; runs after it were claimed ahead and wait (RUNNING, not started)
  const waiting = await waitFor(async () => (step.holding() ? after.find((id) => seen.get(id)?.includes("RUNNING") && !step.ran.includes(id)) ?? null : null), 20_000, "a run claimed ahead behind the held one");
  await t.ok(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: encodeId("Execution", waiting) }, "operator");
  // after half a second of waiting the others go back to PENDING
  await waitFor(async () => after.some((id) => seen.get(id)?.join(" ").includes("RUNNING PENDING")), 20_000, "a waiting run handed back");
  step.release();
  const rows = await waitFor(async () => {
    const all = await rowsOf(t);
    return all.every((r) => r.status === "SUCCEEDED" || r.status === "CANCELLED") ? all : null;
  }, 60_000, "every run to end");
  expect(rows.find((r) => r.id === waiting)).toMatchObject({ status: "CANCELLED", attempt: 1 });
  expect(rows.filter((r) => r.status === "CANCELLED").map((r) => r.id)).toEqual([waiting]);
  expect(step.ran).not.toContain(waiting);
  expect(step.ran.toSorted((a, b) => a - b)).toEqual(ids.filter((id) => id !== waiting));
  expect(step.most()).toBe(1);
  expect(rows.find((r) => r.id === held)?.status).toBe("SUCCEEDED");
  // a handed-back run is the same run, not a retry: one attempt, no new row
  expect(rows).toHaveLength(40);
}, 90_000);

test("a stopping instance hands its waiting runs back; the next instance runs them", async () => {
  const db = await createTestDatabase({ persistent: true });
  cleanups.push(() => db.drop());
  const first = stepHandler();
  const a = await startTestApp({ db, config: { concurrency: 1, shutdownGraceMs: 60_000 }, options: { handlers: first.handlers } });
  cleanups.push(() => a.stop());
  const seen = statusLog(a);
  const ids = await backlog(a, 30, 15);
  const after = ids.slice(15);
  await waitFor(async () => first.holding() && after.some((id) => seen.get(id)?.at(-1) === "RUNNING"), 20_000, "runs claimed ahead behind the held one");
  const stopped = a.app.stop();
  // the held run ends inside the grace once the waiting ones are back (by the stop, or by their wait's limit)
  await waitFor(async () => {
    const rows = await a.app.db.prisma.execution.findMany({ where: { id: { in: after } } });
    return rows.every((r) => r.status === "PENDING" && r.workerId === null);
  }, 20_000, "the waiting runs to be handed back");
  first.release();
  await stopped;

  const second = stepHandler();
  const b = await startTestApp({ db, options: { handlers: second.handlers } });
  cleanups.push(() => b.stop());
  const rows = await waitFor(async () => {
    const all = await rowsOf(b);
    return all.every((r) => r.status === "SUCCEEDED") ? all : null;
  }, 60_000, "every run to succeed");
  expect(rows).toHaveLength(30);
  expect([...first.ran, ...second.ran].toSorted((a, b) => a - b)).toEqual(ids);
  expect(second.ran.toSorted((a, b) => a - b)).toEqual(after);
  for (const r of rows) expect(r.attempt).toBe(1);
}, 90_000);
