// PGlite has no autovacuum daemon: the vacuum job does its work, so the dead row versions every
// state change leaves behind are cleared and the planner's statistics kept, as on PostgreSQL.
import { expect, test } from "vitest";
import { VacuumJob } from "../src/db/vacuum.ts";
import { createLogger } from "../src/logging/logger.ts";
import { waitFor } from "./helpers/app.ts";
import { useMigratedDatabase } from "./helpers/migrated.ts";

const database = useMigratedDatabase();

const stats = async () =>
  (await database.db.prisma.$queryRawUnsafe<{ live: number; dead: number; analyzed: boolean }[]>(
    `SELECT n_live_tup::int AS live, n_dead_tup::int AS dead, (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed
     FROM pg_stat_user_tables WHERE relname = 'Execution'`,
  ))[0]!;

test("tables with many dead rows are vacuumed and analyzed; the others are left alone", async () => {
  // (the job runs on PGlite only; on PostgreSQL it is checked too, with the server's autovacuum
  // kept off this table so that it cannot do the job first)
  if (database.db.backend === "postgres") await database.db.prisma.$executeRawUnsafe(`ALTER TABLE "Execution" SET (autovacuum_enabled = false)`);
  const task = await database.db.prisma.task.create({ data: { name: "churn", kind: "HANDLER", config: { handler: "demo.sleep" } } });
  await database.db.prisma.$executeRawUnsafe(
    `INSERT INTO "Execution" ("taskId", trigger, manual, "scheduledAt", "runAfter", "updatedAt")
     SELECT ${task.id}, 'MANUAL', true, now(), now(), now() FROM generate_series(1, 500)`,
  );
  // what claims and finishes do: every row rewritten, twice
  await database.db.prisma.$executeRawUnsafe(`UPDATE "Execution" SET status = 'RUNNING', "startedAt" = now()`);
  await database.db.prisma.$executeRawUnsafe(`UPDATE "Execution" SET status = 'SUCCEEDED', "finishedAt" = now()`);
  const job = new VacuumJob({ prisma: database.db.prisma, logger: createLogger("silent") });
  // the counters reach the statistics a moment later (a backend reports them at most once a second)
  await waitFor(async () => (await database.db.prisma.$executeRawUnsafe(`SELECT pg_stat_force_next_flush()`), (await stats()).dead >= 1000), 10_000, "dead rows counted");
  const vacuumed = await job.runOnce();
  expect(vacuumed).toContain("Execution");
  expect(vacuumed).not.toContain("Task"); // one live row, no dead ones
  await waitFor(async () => (await database.db.prisma.$executeRawUnsafe(`SELECT pg_stat_force_next_flush()`), (await stats()).dead === 0), 10_000, "dead rows cleared");
  expect(await stats()).toMatchObject({ live: 500, dead: 0, analyzed: true });
  expect(await job.runOnce()).toEqual([]); // nothing left to do
});
