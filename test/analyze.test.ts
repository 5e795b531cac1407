// Right after a burst of new runs the statistics of "Execution" are refreshed, so the claim
// (a prepared statement, planned from them) is planned for the queue as it is, not for the empty
// one autovacuum last saw; at most once per interval, and not for a trickle.
import { beforeAll, expect, test } from "vitest";
import { BURST_ROWS, BurstAnalyzer } from "../src/executions/burst-analyzer.ts";
import { createLogger } from "../src/logging/logger.ts";
import { waitFor } from "./helpers/app.ts";
import { useMigratedDatabase } from "./helpers/migrated.ts";

const database = useMigratedDatabase();

beforeAll(async () => {
  // the server's autovacuum must not analyze this table behind the test's back
  if (database.db.backend === "postgres") await database.db.prisma.$executeRawUnsafe(`ALTER TABLE "Execution" SET (autovacuum_enabled = false)`);
});

/** how many times "Execution" was analyzed, and the planner's idea of its PENDING rows */
async function seen() {
  await database.db.prisma.$executeRawUnsafe(`SELECT pg_stat_force_next_flush()`);
  const [s] = await database.db.prisma.$queryRawUnsafe<{ analyzed: number }[]>(`SELECT analyze_count::int AS analyzed FROM pg_stat_user_tables WHERE relname = 'Execution'`);
  const [plan] = await database.db.prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN SELECT id FROM "Execution" WHERE status = 'PENDING'`);
  return { analyzed: s!.analyzed, pendingEstimate: Number(/rows=(\d+)/.exec(plan!["QUERY PLAN"])![1]) };
}

test("a burst of new runs refreshes the statistics at once; a trickle, or a second burst soon after, does not", async () => {
  const task = await database.db.prisma.task.create({ data: { name: "burst", kind: "HANDLER", config: { handler: "demo.sleep" } } });
  await database.db.prisma.$executeRawUnsafe(`ANALYZE "Execution"`); // as autovacuum saw it: no runs at all
  let clock = 1_000_000;
  const analyzer = new BurstAnalyzer({ prisma: database.db.prisma, logger: createLogger("silent"), minIntervalMs: 30_000, now: () => clock });
  const before = await waitFor(async () => { const s = await seen(); return s.analyzed >= 1 ? s : null; }, 10_000, "the first analyze counted");

  await database.db.prisma.$executeRawUnsafe(
    `INSERT INTO "Execution" ("taskId", trigger, "scheduledAt", "runAfter", "updatedAt")
     SELECT ${task.id}, 'SCHEDULE', now() - g * interval '1 second', now(), now() FROM generate_series(1, 2000) g`,
  );
  // the engine's state changes, as the app hands them over (state.on): the new rows, created
  const created = (await database.db.prisma.execution.findMany({ orderBy: { id: "asc" } })).map((row) => ({ kind: "created" as const, row }));
  analyzer.changed(created.slice(0, BURST_ROWS - 1)); // a trickle: nothing
  await analyzer.settled();
  expect((await seen()).analyzed).toBe(before.analyzed);

  analyzer.changed([...created.slice(BURST_ROWS - 1, 1500), { kind: "claimed", row: created[0]!.row }]); // the burst
  await analyzer.settled();
  const after = await waitFor(async () => { const s = await seen(); return s.analyzed > before.analyzed ? s : null; }, 10_000, "the burst's analyze counted");
  expect(after.analyzed).toBe(before.analyzed + 1);
  expect(after.pendingEstimate).toBeGreaterThan(1000); // the planner now knows the queue

  clock += 10_000; // another burst 10 s later: the statistics are fresh enough
  analyzer.added(5000);
  await analyzer.settled();
  clock += 30_000; // and after the interval, the next one refreshes them again
  analyzer.added(BURST_ROWS);
  await analyzer.settled();
  await waitFor(async () => (await seen()).analyzed === after.analyzed + 1, 10_000, "the later burst's analyze counted");
});
