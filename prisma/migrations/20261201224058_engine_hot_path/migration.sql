-- DropIndex
DROP INDEX "Execution_status_leaseExpiresAt_idx";

-- DropIndex
DROP INDEX "Execution_status_runAfter_idx";

-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "exclusive" BOOLEAN NOT NULL DEFAULT false;

-- Hand-written (Prisma's schema language has no partial indexes, fillfactor or triggers).

-- The claim reads PENDING rows in (runAfter, id) order: an index of PENDING rows only, so a claim
-- costs O(batch) whatever the history size, and a run adds one entry here (not one per status).
CREATE INDEX "Execution_pending_idx" ON "Execution"("runAfter", "id") WHERE "status" = 'PENDING';
-- RUNNING rows by task: the overlap check of the claim, and the sweeper (a handful of rows).
CREATE INDEX "Execution_running_idx" ON "Execution"("taskId") WHERE "status" = 'RUNNING';
-- At most one exclusive (overlap policy SKIP/QUEUE, not forced) RUNNING run per task, whichever
-- instance claims it: two claims racing on one task cannot both win (the loser retries).
CREATE UNIQUE INDEX "Execution_exclusive_running_key" ON "Execution"("taskId") WHERE "status" = 'RUNNING' AND "exclusive";

-- Room on each page for the new version of a row, so updates that change no indexed column
-- (heart-beats, progress, log counters) are HOT: no index entry at all.
ALTER TABLE "Execution" SET (fillfactor = 80);

-- ExecutionCount: one delta per (task, status) per statement instead of two rows per changed row.
-- Transition tables cannot be combined with a column list, so this runs after every UPDATE
-- statement; one that changed no status (heart-beat, progress) joins and writes nothing.
DROP TRIGGER "Execution_count_status_changed" ON "Execution";
DROP FUNCTION "jobgraph_count_status_changed"();

CREATE FUNCTION "jobgraph_count_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ExecutionCount" ("taskId", "status", "n")
  SELECT "taskId", "status", sum(n)::int FROM (
    SELECT o."taskId", o."status", -1 AS n FROM "old_rows" o JOIN "new_rows" r ON r.id = o.id
      WHERE o."status" IS DISTINCT FROM r."status" OR o."taskId" IS DISTINCT FROM r."taskId"
    UNION ALL
    SELECT r."taskId", r."status", 1 AS n FROM "old_rows" o JOIN "new_rows" r ON r.id = o.id
      WHERE o."status" IS DISTINCT FROM r."status" OR o."taskId" IS DISTINCT FROM r."taskId"
  ) d GROUP BY 1, 2 HAVING sum(n) <> 0;
  RETURN NULL;
END $$;

CREATE TRIGGER "Execution_count_updated" AFTER UPDATE ON "Execution"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT
  EXECUTE FUNCTION "jobgraph_count_updated"();
