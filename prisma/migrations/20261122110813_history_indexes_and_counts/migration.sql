-- CreateTable
CREATE TABLE "ExecutionCount" (
    "id" BIGSERIAL NOT NULL,
    "taskId" INTEGER NOT NULL,
    "status" "ExecutionStatus" NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "ExecutionCount_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ExecutionCount_taskId_status_idx" ON "ExecutionCount"("taskId", "status");

-- CreateIndex
CREATE INDEX "AuditEvent_executionId_id_idx" ON "AuditEvent"("executionId", "id" DESC);

-- CreateIndex
CREATE INDEX "AuditEvent_actor_id_idx" ON "AuditEvent"("actor", "id" DESC);

-- CreateIndex
CREATE INDEX "Execution_task_time_stats_idx" ON "Execution"("taskId", "scheduledAt", "status", "durationMs", "finishedAt");

-- CreateIndex
CREATE INDEX "Execution_time_stats_idx" ON "Execution"("scheduledAt", "taskId", "status", "durationMs", "finishedAt");

-- Hand-written (Prisma's schema language has no triggers).
-- "ExecutionCount" stays exact with "Execution" in every transaction: each insert, delete and
-- status change appends delta rows (bulk statements aggregate theirs first). Appending only means
-- concurrent writers never wait for each other on a counter row; the maintenance job folds the
-- deltas (src/executions/retention.ts). Creating the triggers locks "Execution" against writers
-- until this migration commits, so the backfill below misses nothing and counts nothing twice.
CREATE FUNCTION "jobgraph_count_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ExecutionCount" ("taskId", "status", "n")
  SELECT "taskId", "status", count(*)::int FROM "inserted_rows" GROUP BY 1, 2;
  RETURN NULL;
END $$;

CREATE FUNCTION "jobgraph_count_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ExecutionCount" ("taskId", "status", "n")
  SELECT "taskId", "status", -count(*)::int FROM "deleted_rows" GROUP BY 1, 2;
  RETURN NULL;
END $$;

CREATE FUNCTION "jobgraph_count_status_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ExecutionCount" ("taskId", "status", "n") VALUES (OLD."taskId", OLD."status", -1), (NEW."taskId", NEW."status", 1);
  RETURN NULL;
END $$;

CREATE TRIGGER "Execution_count_inserted" AFTER INSERT ON "Execution"
  REFERENCING NEW TABLE AS "inserted_rows" FOR EACH STATEMENT EXECUTE FUNCTION "jobgraph_count_inserted"();
CREATE TRIGGER "Execution_count_deleted" AFTER DELETE ON "Execution"
  REFERENCING OLD TABLE AS "deleted_rows" FOR EACH STATEMENT EXECUTE FUNCTION "jobgraph_count_deleted"();
-- (row level: transition tables cannot be combined with a column list; the WHEN clause keeps
-- progress, heartbeat and log updates from calling it at all)
CREATE TRIGGER "Execution_count_status_changed" AFTER UPDATE OF "status", "taskId" ON "Execution"
  FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."taskId" IS DISTINCT FROM NEW."taskId")
  EXECUTE FUNCTION "jobgraph_count_status_changed"();

INSERT INTO "ExecutionCount" ("taskId", "status", "n")
SELECT "taskId", "status", count(*)::int FROM "Execution" GROUP BY 1, 2;
