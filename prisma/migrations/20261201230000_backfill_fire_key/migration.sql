-- Hand-written (Prisma's schema language has no partial indexes).
-- A backfilled run is a fire of its nominal time like a scheduled or caught-up one: one execution
-- per task and fire time whichever of the three made it, so a backfill never repeats a fire that
-- already ran and a schedule tick never repeats a backfilled one.
DROP INDEX "Execution_fire_key";
CREATE UNIQUE INDEX "Execution_fire_key" ON "Execution"("taskId", "scheduledAt") WHERE "trigger" IN ('SCHEDULE', 'CATCH_UP', 'BACKFILL');
